import type { ContactFields } from '../domain/contact.js';
import type { DirectoryUser } from '../domain/directory.js';

const DEMO_DOMAIN = 'contoso.example';
export const DEMO_LOGIN = { username: `adele.vance@${DEMO_DOMAIN}`, password: 'demo', role: 'admin' as const };
/** Someone of the demo directory with a photo, for the start banner's example. */
export const DEMO_PERSON = `alex.wilber@${DEMO_DOMAIN}`;

interface DemoPerson {
  givenName: string;
  surname: string;
  department: string;
  title: string;
  /** Long side of the generated photo; 0 for a person without one. */
  photoSize: number;
}

// Two have no photo and one has only a small one, so "no photo" and "largest
// available" can be tried on the demo too.
const PEOPLE: DemoPerson[] = [
  { givenName: 'Adele', surname: 'Vance', department: 'Retail', title: 'Retail Manager', photoSize: 648 },
  { givenName: 'Alex', surname: 'Wilber', department: 'Marketing', title: 'Marketing Assistant', photoSize: 648 },
  { givenName: 'Diego', surname: 'Siciliani', department: 'HR', title: 'HR Manager', photoSize: 648 },
  { givenName: 'Grady', surname: 'Archie', department: 'R&D', title: 'Designer', photoSize: 648 },
  { givenName: 'Henrietta', surname: 'Mueller', department: 'R&D', title: 'Developer', photoSize: 504 },
  { givenName: 'Isaiah', surname: 'Langer', department: 'Sales', title: 'Sales Rep', photoSize: 648 },
  { givenName: 'Johanna', surname: 'Lorenz', department: 'Engineering', title: 'Senior Engineer', photoSize: 648 },
  { givenName: 'Joni', surname: 'Sherman', department: 'Legal', title: 'Paralegal', photoSize: 96 },
  { givenName: 'Lee', surname: 'Gu', department: 'Manufacturing', title: 'Director', photoSize: 648 },
  { givenName: 'Lidia', surname: 'Holloway', department: 'Engineering', title: 'Product Manager', photoSize: 360 },
  { givenName: 'Lynne', surname: 'Robbins', department: 'Retail', title: 'Planner', photoSize: 0 },
  { givenName: 'Megan', surname: 'Bowen', department: 'Marketing', title: 'Marketing Manager', photoSize: 0 },
];

interface DemoUser extends DirectoryUser {
  photoSize: number;
}

export function demoDirectory(): DemoUser[] {
  return PEOPLE.map((person, i) => {
    const local = `${person.givenName}.${person.surname}`.toLowerCase();
    return {
      email: `${local}@${DEMO_DOMAIN}`,
      displayName: `${person.givenName} ${person.surname}`,
      givenName: person.givenName,
      surname: person.surname,
      alias: local.replace('.', ''),
      company: 'Contoso',
      department: person.department,
      title: person.title,
      businessPhone: `+1 425 555 01${String(i).padStart(2, '0')}`,
      sipAddress: `sip:${local}@${DEMO_DOMAIN}`,
      refs: {},
      photoSize: person.photoSize,
    };
  });
}

/** Contacts in the demo login's own mailbox, so ResolveNames, GetItem and GetAttachment have something to find. */
export function demoContacts(): (ContactFields & { photoSize: number })[] {
  return [
    {
      displayName: 'Patti Fernandez',
      givenName: 'Patti',
      surname: 'Fernandez',
      company: 'Fabrikam',
      jobTitle: 'Buyer',
      emailAddresses: ['patti@fabrikam.example'],
      phones: { business: '+1 206 555 0143' },
      refs: {},
      photoSize: 480,
    },
    {
      displayName: 'Nestor Wilke',
      givenName: 'Nestor',
      surname: 'Wilke',
      company: 'Tailspin Toys',
      jobTitle: 'Owner',
      emailAddresses: ['nestor@tailspin.example', 'nestor.wilke@home.example'],
      phones: { mobile: '+1 206 555 0177' },
      refs: {},
      photoSize: 648,
    },
    {
      displayName: 'Pradeep Gupta',
      givenName: 'Pradeep',
      surname: 'Gupta',
      company: 'Northwind Traders',
      emailAddresses: ['pradeep@northwind.example'],
      phones: {},
      refs: {},
      photoSize: 0,
    },
  ];
}
