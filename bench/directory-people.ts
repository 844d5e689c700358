import type { DirectoryUser } from '../src/domain/directory.js';
import { foldedWords } from '../src/store/search-text.js';
import { seededRandom } from './seeded-random.js';

/** Names from many languages, accents included, as a large company's directory holds them. */
const GIVEN_NAMES = (
  'Ana Anabela Anaïs Andrea André Adele Agnieszka Ahmed Aiko Akira Alejandro Aleksander Alex Alice Amélie Anders Anna Antoine Aoife ' +
  'Arjun Åsa Beatriz Bernd Björn Bogdan Camille Carlos Chloé Chen Cristina Dagný Daniel Dmitri Élodie Emre Eszter Fatima Fernando ' +
  'François Giulia Grzegorz Gustavo Hannah Hélène Hiroshi Ines Ingrid Isabel Iván Jakub Jan Joana João José Jürgen Kai Karin ' +
  'Katarzyna Keiko Lars Laura Lea Léa Lee Lucía Luis Łukasz Maja Małgorzata Marco María Mariana Markus Mateo Megan Mehmet Miguel ' +
  'Mikael Ming Nadia Nikolai Noémie Nuno Olga Óscar Paulo Pedro Priya Rafael Raúl Renée Rui Sakura Sandra Sebastián Siobhán Søren ' +
  'Sofía Stéphane Tânia Tatiana Thomas Tomás Uwe Valentina Wei Xavier Yuki Zoë Zsófia'
).split(' ');
const SURNAMES = (
  'Abe Almeida Álvarez Andersen Anand Bauer Becker Bergström Bianchi Bowen Brown Carvalho Castro Chen Costa Čapek Dąbrowski Dubois ' +
  'Dvořák Eriksson Fernández Ferreira Fischer Fontaine García Gomes González Gu Hansen Hernández Hoffmann Horváth Ivanova Ivanov ' +
  'Jansen Johansson Jones Kaczmarek Kato Kowalski Kumar Larsen Laurent Lefèvre Li Lima López Lund Martín Martins Meyer Moreau Müller ' +
  'Nagy Nakamura Nielsen Novák Nowak Núñez O’Brien Oliveira Olsen Papadopoulos Pereira Petrov Pérez Popescu Ramos Ribeiro Rodrigues ' +
  'Rodríguez Romano Rossi Ruiz Sánchez Santos Sato Schmidt Schneider Schulz Silva Smirnova Smith Sousa Suzuki Szabó Takahashi Tanaka ' +
  'Thompson Tóth Vance Varga Wagner Walsh Wang Weber Wiśniewski Wójcik Yamamoto Yılmaz Zhang Żółć Åström Østergaard'
).split(' ');
const DEPARTMENTS = (
  'Sales,Marketing,Finance,Legal,Engineering,Research,Manufacturing,Logistics,Human Resources,Customer Service,Procurement,' +
  'Quality Assurance,Information Technology,Security,Facilities,Communications,Product Management,Design,Data Science,Operations'
).split(',');
const TITLES = (
  'Engineer,Senior Engineer,Manager,Director,Analyst,Consultant,Architect,Accountant,Designer,Specialist,Coordinator,Technician,' +
  'Administrator,Vice President,Intern,Account Executive,Recruiter,Researcher'
).split(',');
const COMPANIES = ['Contoso', 'Fabrikam', 'Northwind Traders'];

const pick = <T>(list: readonly T[], next: () => number): T => list[Math.floor(next() * list.length)]!;

/** Each person's manager is person floor((i - 1) / 8): a tree eight reports wide. */
const MANAGER_SPAN = 8;

function namesOf(i: number): { given: string; surname: string } {
  const next = seededRandom(i * 2654435761);
  const first = pick(SURNAMES, next);
  // One in four carries a double surname, as Iberian and hyphenated names do.
  const surname = next() < 0.25 ? `${first}-${pick(SURNAMES, next)}` : first;
  return { given: pick(GIVEN_NAMES, next), surname };
}

function addressOf(i: number): string {
  const { given, surname } = namesOf(i);
  return `${[...foldedWords(given), ...foldedWords(surname)].join('.')}.${i}@contoso.com`;
}

/** Person number i of the bench directory. */
export function benchPerson(i: number): DirectoryUser {
  const { given, surname } = namesOf(i);
  const next = seededRandom(i * 40503 + 7);
  return {
    email: addressOf(i),
    displayName: `${given} ${surname}`,
    givenName: given,
    surname,
    company: pick(COMPANIES, next),
    department: pick(DEPARTMENTS, next),
    title: pick(TITLES, next),
    businessPhone: `+1 425 555 ${String(i % 10000).padStart(4, '0')}`,
    ...(i > 0 ? { manager: addressOf(Math.floor((i - 1) / MANAGER_SPAN)) } : {}),
    refs: {},
  };
}

/** What people type into a search box, in kinds and proportions a directory sees. */
export function benchQueries(): { kind: string; text: string }[] {
  const next = seededRandom(12);
  const strip = (text: string) => foldedWords(text).join(' ');
  const prefix = (word: string, min: number, max: number) => word.slice(0, min + Math.floor(next() * (max - min + 1)));
  const queries: { kind: string; text: string }[] = [];
  const add = (kind: string, count: number, make: () => string) => {
    for (let i = 0; i < count; i++) queries.push({ kind, text: make() });
  };
  add('first-name prefix', 80, () => prefix(pick(GIVEN_NAMES, next), 2, 5));
  add('full name', 50, () => `${pick(GIVEN_NAMES, next)} ${pick(SURNAMES, next)}`);
  add('full name, no accents, surname first', 40, () => strip(`${pick(SURNAMES, next)} ${pick(GIVEN_NAMES, next)}`));
  add('two word starts', 50, () => `${prefix(strip(pick(GIVEN_NAMES, next)), 2, 4)} ${prefix(strip(pick(SURNAMES, next)), 2, 4)}`);
  add('surname', 40, () => prefix(pick(SURNAMES, next), 4, 12));
  add('department or title', 20, () => (next() < 0.5 ? pick(DEPARTMENTS, next) : pick(TITLES, next)).split(' ')[0]!.toLowerCase());
  add('address prefix', 20, () => addressOf(Math.floor(next() * 1000)).slice(0, 8 + Math.floor(next() * 6)));
  add('one letter', 10, () => String.fromCharCode(97 + Math.floor(next() * 26)));
  add('no one', 20, () => `zq${prefix('xwvkjy', 2, 6)}`);
  return queries;
}
