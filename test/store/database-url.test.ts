import { expect } from 'chai';
import { driverUrl } from '../../src/store/database-url.js';

describe('the database URL as handed to the driver', () => {
  it('asks verify-full where pg 8 reads prefer, require and verify-ca as it (no SECURITY WARNING then), and keeps the rest', () => {
    for (const mode of ['prefer', 'require', 'verify-ca']) {
      expect(driverUrl(`postgres://bridge:p%40ss@db.example.com:5432/bridge?sslmode=${mode}&sslrootcert=/etc/ca.pem`)).to.equal(
        'postgres://bridge:p%40ss@db.example.com:5432/bridge?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem',
      );
    }
    expect(driverUrl('postgres://bridge@/bridge?host=/run/postgresql&sslmode=require')).to.equal(
      'postgres://bridge@/bridge?host=%2Frun%2Fpostgresql&sslmode=verify-full',
    );
  });

  it('leaves a URL as written where it names no such mode, or asks for libpq’s meanings (uselibpqcompat)', () => {
    for (const url of [
      'postgres://bridge:p%40ss@db.example.com/bridge',
      'postgres://bridge@db.example.com/bridge?sslmode=verify-full&sslrootcert=/etc/ca.pem',
      'postgres://bridge@db.example.com/bridge?sslmode=no-verify',
      'postgres://bridge@db.example.com/bridge?sslmode=disable',
      'postgres://bridge@db.example.com/bridge?uselibpqcompat=true&sslmode=require',
    ]) {
      expect(driverUrl(url)).to.equal(url);
    }
  });
});
