// The directory page: search-as-you-type over /api/people, one page at a time, and a
// detail dialog. Every value from the server goes in through textContent or an
// attribute, never as markup.

const PHOTO_URL = '/ews/exchange.asmx/s/GetUserPhoto';
const CARD_SIZES = [96, 120, 240];
const DETAIL_SIZES = [240, 360, 504, 648];
const PAGE_SIZE = 48;
const TYPING_PAUSE_MS = 200;
const MAX_SEARCH_LENGTH = 200; // as /api/people accepts; maxlength stops typing, this stops pasting scripts

const $ = (id) => document.getElementById(id);
const searchInput = $('search');
const list = $('people');
const status = $('status');
const moreButton = $('more');
const dialog = $('person');

let role = 'user';
let query = '';
let nextOffset = 0;
let pending;
let shown = [];
let openPerson;
let openedFrom;
let chosenFile;

/** The REST photo URL; `version` changes with the photo, so a new upload is never served from cache. */
function photoUrl(person, size) {
  const params = new URLSearchParams({ email: person.email, size: `HR${size}x${size}`, v: person.photo.version });
  return `${PHOTO_URL}?${params}`;
}

function srcsetOf(person, sizes) {
  return sizes.map((size) => `${photoUrl(person, size)} ${size}w`).join(', ');
}

function initialsOf(name) {
  const words = name.split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return letters.map((word) => [...word][0].toUpperCase()).join('');
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function cardPicture(person) {
  if (!person.photo) {
    const placeholder = element('span', 'placeholder', initialsOf(person.displayName));
    placeholder.setAttribute('role', 'img');
    placeholder.setAttribute('aria-label', `No photo of ${person.displayName}`);
    return placeholder;
  }
  const img = element('img');
  img.src = photoUrl(person, CARD_SIZES[0]);
  img.srcset = srcsetOf(person, CARD_SIZES);
  img.sizes = '96px';
  img.width = 96;
  img.height = 96;
  img.loading = 'lazy';
  img.decoding = 'async';
  img.alt = `Photo of ${person.displayName}`;
  return img;
}

function card(person) {
  const item = element('li');
  item.dataset.email = person.email;
  const button = element('button', 'card');
  button.type = 'button';
  button.setAttribute('aria-haspopup', 'dialog');
  button.append(cardPicture(person), element('span', 'name', person.displayName));
  const subtitle = [person.title, person.department].filter(Boolean).join(' · ');
  if (subtitle) button.append(element('span', 'subtle', subtitle));
  button.addEventListener('click', () => openDetail(person, button));
  item.append(button);
  return item;
}

async function getJson(url, signal) {
  const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error((await response.text()).trim() || `HTTP ${response.status}`);
  return response.json();
}

/** Loads the next page of the current search; a newer search cancels an older one's request. */
async function loadPage(reset) {
  pending?.abort();
  const controller = new AbortController();
  pending = controller;
  if (reset) nextOffset = 0;
  const params = new URLSearchParams({ q: query, offset: String(nextOffset), limit: String(PAGE_SIZE) });
  try {
    const page = await getJson(`/api/people?${params}`, controller.signal);
    if (reset) {
      list.replaceChildren();
      shown = [];
    }
    shown.push(...page.people);
    list.append(...page.people.map(card));
    nextOffset = page.offset + page.people.length;
    moreButton.hidden = !page.hasMore;
    status.textContent = describeResults(page.hasMore);
    list.dataset.query = query;
    list.setAttribute('aria-busy', 'false');
  } catch (error) {
    if (error.name === 'AbortError') return;
    status.textContent = `Search failed: ${error.message}`;
    list.setAttribute('aria-busy', 'false');
  }
}

function describeResults(hasMore) {
  const count = shown.length;
  const who = query ? ` matching “${query}”` : '';
  if (count === 0) return `No one${who}.`;
  return `${count}${hasMore ? '+' : ''} ${count === 1 ? 'person' : 'people'}${who}.`;
}

function addContactRow(dl, label, value, href) {
  if (!value) return;
  const dd = element('dd');
  if (href) {
    const link = element('a', '', value);
    link.href = href;
    dd.append(link);
  } else {
    dd.textContent = value;
  }
  dl.append(element('dt', '', label), dd);
}

function showDetailPhoto(person) {
  const img = $('person-photo');
  const placeholder = $('person-placeholder');
  img.hidden = !person.photo;
  placeholder.hidden = Boolean(person.photo);
  if (person.photo) {
    img.src = photoUrl(person, 504);
    img.srcset = srcsetOf(person, DETAIL_SIZES);
    img.sizes = '240px';
    img.alt = `Photo of ${person.displayName}`;
  } else {
    img.removeAttribute('src');
    img.removeAttribute('srcset');
    placeholder.textContent = initialsOf(person.displayName);
    placeholder.setAttribute('aria-label', `No photo of ${person.displayName}`);
  }
  $('photo-delete').disabled = !person.photo;
}

function openDetail(person, opener) {
  openPerson = person;
  openedFrom = opener;
  $('person-name').textContent = person.displayName;
  $('person-title').textContent = [person.title, person.department, person.company].filter(Boolean).join(' · ');
  const dl = $('person-contact');
  dl.replaceChildren();
  addContactRow(dl, 'Email', person.email, `mailto:${person.email}`);
  addContactRow(dl, 'Phone', person.businessPhone, person.businessPhone && `tel:${person.businessPhone.replace(/[^\d+]/g, '')}`);
  addContactRow(dl, 'Mobile', person.mobilePhone, person.mobilePhone && `tel:${person.mobilePhone.replace(/[^\d+]/g, '')}`);
  showDetailPhoto(person);
  resetUpload();
  $('admin').hidden = role !== 'admin';
  dialog.showModal();
  $('person-close').focus();
}

function resetUpload() {
  $('photo-file').value = '';
  clearPreview();
  $('admin-status').textContent = '';
}

function clearPreview() {
  chosenFile = undefined;
  const preview = $('photo-preview');
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.removeAttribute('src');
  preview.hidden = true;
  $('photo-upload').disabled = true;
}

/** The person's photo changed: every card and the open dialog show the new one. */
function photoChanged(email, photo) {
  for (const person of shown) if (person.email === email) person.photo = photo;
  const item = [...list.children].find((li) => li.dataset.email === email);
  const person = shown.find((p) => p.email === email);
  if (item && person) {
    const fresh = card(person);
    item.replaceWith(fresh);
    if (openedFrom?.closest('li') === item) openedFrom = fresh.querySelector('button');
  }
  if (openPerson?.email === email) showDetailPhoto(openPerson);
}

async function adminRequest(method, body) {
  const response = await fetch(`/admin/users/${encodeURIComponent(openPerson.email)}/photo`, { method, body });
  if (!response.ok) throw new Error((await response.text()).trim() || `HTTP ${response.status}`);
  return response;
}

async function upload() {
  if (!chosenFile || !openPerson) return;
  $('admin-status').textContent = 'Uploading…';
  try {
    const stored = await (await adminRequest('PUT', chosenFile)).json();
    const email = openPerson.email;
    resetUpload();
    photoChanged(email, { version: stored.sha256.slice(0, 16) });
    $('admin-status').textContent = 'Photo saved.';
  } catch (error) {
    $('admin-status').textContent = `Upload failed: ${error.message}`;
  }
}

async function removePhoto() {
  if (!openPerson?.photo || !window.confirm(`Delete the photo of ${openPerson.displayName}?`)) return;
  try {
    await adminRequest('DELETE');
    photoChanged(openPerson.email, null);
    $('admin-status').textContent = 'Photo deleted.';
  } catch (error) {
    $('admin-status').textContent = `Delete failed: ${error.message}`;
  }
}

function choose(event) {
  const [file] = event.target.files;
  clearPreview();
  if (!file) return;
  chosenFile = file;
  const preview = $('photo-preview');
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  $('photo-upload').disabled = false;
}

let typingTimer;
searchInput.addEventListener('input', () => {
  clearTimeout(typingTimer);
  list.setAttribute('aria-busy', 'true');
  typingTimer = setTimeout(() => {
    query = searchInput.value.trim().slice(0, MAX_SEARCH_LENGTH);
    void loadPage(true);
  }, TYPING_PAUSE_MS);
});
$('search-form').addEventListener('submit', (event) => event.preventDefault());
moreButton.addEventListener('click', () => void loadPage(false));
dialog.addEventListener('close', () => {
  openPerson = undefined;
  openedFrom?.focus();
});
$('photo-file').addEventListener('change', choose);
$('photo-upload').addEventListener('click', () => void upload());
$('photo-delete').addEventListener('click', () => void removePhoto());

getJson('/api/me')
  .then((me) => {
    role = me.role;
    $('me').textContent = `Signed in as ${me.username}${role === 'admin' ? ' (administrator)' : ''}`;
  })
  .catch(() => undefined);
void loadPage(true);
