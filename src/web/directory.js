// The directory page: search-as-you-type over /api/people, one page at a time, the
// search kept in the URL (?q=…, so links can be shared and Back goes to the previous
// search), and a detail dialog where an administrator — or a person, for their own
// photo, when the bridge allows it — changes a photo through a square crop. Every value
// from the server goes in through textContent or an attribute, never as markup.

import { SquareCrop } from './photo-crop.js';

// Every URL is relative to the page, so that it works under a path prefix a proxy strips
// (BRIDGE_PUBLIC_URL=https://intranet.contoso.com/photos) as well as at the root.
const PHOTO_URL = 'ews/exchange.asmx/s/GetUserPhoto';
const CARD_SIZES = [96, 120, 240];
const DETAIL_SIZES = [240, 360, 504, 648];
const PAGE_SIZE = 48;
const TYPING_PAUSE_MS = 200;
const MAX_SEARCH_LENGTH = 200; // as /api/people accepts; maxlength stops typing, this stops pasting scripts
/** Must match SIGNED_OUT_USER in src/rest/web-page-routes.ts. */
const SIGNED_OUT_USER = 'signed-out';

const $ = (id) => document.getElementById(id);
const searchInput = $('search');
const list = $('people');
const status = $('status');
const moreButton = $('more');
const dialog = $('person');
const editorStatus = $('editor-status');
const crop = new SquareCrop({ canvas: $('crop-canvas'), zoomInput: $('crop-zoom'), preview: $('crop-preview') });

let me = { username: '', role: 'user', maxUploadBytes: Infinity, email: undefined, ownPhoto: { allowed: false, locked: false } };
let query = '';
let nextOffset = 0;
let pending;
/** Whether the request in flight starts the list anew (a new search): "Show more" must not cut it off. */
let pendingReset = false;
let shown = [];
let openPerson;
/** New at every opening of the view: a save or delete answered after it closed is not shown in the next one. */
let opening;
let openedFrom;
/** What "Save photo" uploads: the crop, or the file itself when this browser cannot show it. */
let chosen;
/** The next settled search starts a new history entry; later ones while typing replace it. */
let startsHistoryEntry = true;

/**
 * The REST photo URL. With a photo, `v` changes with it, so a new upload is never served
 * from cache; without one, the bridge's own placeholder (coloured initials), so the page
 * looks like every other client of the bridge.
 */
function photoUrl(person, size) {
  const params = new URLSearchParams({ email: person.email, size: `HR${size}x${size}` });
  if (person.photo) params.set('v', person.photo.version);
  else params.set('ifBlank', 'SrNoPhoto');
  return `${PHOTO_URL}?${params}`;
}

function srcsetOf(person, sizes) {
  return sizes.map((size) => `${photoUrl(person, size)} ${size}w`).join(', ');
}

function altOf(person) {
  return person.photo ? `Photo of ${person.displayName}` : `No photo of ${person.displayName}`;
}

/**
 * Directory text laid out in its own direction, found from its first strong letter (dir=auto):
 * a right-to-left name with a Latin part or a number ("יוסי כהן (Yossi) 2") was laid out left to
 * right, its number on the wrong side.
 */
function isolated(node) {
  node.dir = 'auto';
  return node;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** `described`: the image says whose photo it is; a card's does not, as the name beside it in the button says it (its name read twice). */
function showPicture(img, person, size, sizes, displayed, described) {
  // A photo removed since the list loaded is a 404 at its old URL: show the placeholder, not a broken image.
  img.onerror = person.photo
    ? () => {
        person.photo = undefined;
        showPicture(img, person, size, sizes, displayed, described);
      }
    : null;
  img.src = photoUrl(person, size);
  img.srcset = srcsetOf(person, sizes);
  img.sizes = displayed;
  img.alt = described ? altOf(person) : '';
  img.classList.toggle('placeholder', !person.photo);
}

function cardPicture(person) {
  const img = element('img');
  showPicture(img, person, CARD_SIZES[0], CARD_SIZES, '96px', false);
  img.width = 96;
  img.height = 96;
  img.loading = 'lazy';
  img.decoding = 'async';
  return img;
}

function isMe(person) {
  return me.email !== undefined && person.email.toLowerCase() === me.email;
}

function card(person) {
  const item = element('li');
  item.dataset.email = person.email;
  const button = element('button', 'card');
  button.type = 'button';
  button.setAttribute('aria-haspopup', 'dialog');
  button.append(cardPicture(person), isolated(element('span', 'name', person.displayName)));
  const subtitle = [person.title, person.department].filter(Boolean).join(' · ');
  if (subtitle) button.append(isolated(element('span', 'subtle', subtitle)));
  // Clamped text shows whole on hover; screen readers read it whole anyway.
  button.title = [person.displayName, subtitle].filter(Boolean).join('\n');
  button.addEventListener('click', () => openDetail(person, button));
  item.append(button);
  if (isMe(person) && me.ownPhoto.allowed) {
    const change = element('button', 'card-action', 'Change my photo');
    change.type = 'button';
    change.addEventListener('click', () => openDetail(person, button, { edit: true }));
    item.append(change);
  }
  return item;
}

// Explicit bidi marks, embeddings, overrides and isolates (UAX #9's explicit formatting
// characters, ALM U+061C, LRM U+200E and RLM U+200F among them): in a name they reorder what
// follows them ("Eve \u202Eevil\u202C" shows as "Eve live"; a mark moves the neutrals around
// it), so one person can be made to read as another. Imports drop the same ones; they are
// dropped from everything the API sends too, for what was stored before, and from the search
// words shown back.
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

async function getJson(url, signal) {
  const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error((await response.text()).trim() || `HTTP ${response.status}`);
  return JSON.parse(await response.text(), (_key, value) => (typeof value === 'string' ? value.replace(BIDI_CONTROLS, '') : value));
}

/** Loads the next page of the current search; a newer search cancels an older one's request. */
async function loadPage(reset) {
  // Its abort would have appended the new search's first page to the old list.
  if (!reset && pendingReset) return;
  pending?.abort();
  const controller = new AbortController();
  pending = controller;
  pendingReset = reset;
  if (reset) nextOffset = 0;
  list.setAttribute('aria-busy', 'true');
  const params = new URLSearchParams({ q: query, offset: String(nextOffset), limit: String(PAGE_SIZE) });
  try {
    const page = await getJson(`api/people?${params}`, controller.signal);
    // Focus on a card the new list replaces (Back, Forward) would fall to the page's body.
    const focusedEmail = reset && list.contains(document.activeElement) ? document.activeElement.closest('li')?.dataset.email : undefined;
    if (reset) {
      list.replaceChildren();
      shown = [];
    }
    shown.push(...page.people);
    const cards = page.people.map(card);
    list.append(...cards);
    // "Show more" may disappear now: keyboard users go on from the first new card.
    if (!reset && cards.length > 0) cards[0].querySelector('.card').focus();
    if (focusedEmail !== undefined) focusIn(focusedEmail);
    nextOffset = page.offset + page.people.length;
    moreButton.hidden = !page.hasMore;
    status.replaceChildren(...describeResults(page.hasMore, page.capped));
    list.dataset.query = query;
    list.setAttribute('aria-busy', 'false');
  } catch (error) {
    if (error.name === 'AbortError') return;
    // The list and "Show more" must be the search in the box: the old list stayed, and
    // "Show more" appended the new search's second page to it.
    if (reset) clearList();
    status.textContent = `Search failed: ${error.message}`;
    list.setAttribute('aria-busy', 'false');
  } finally {
    if (pending === controller) pendingReset = false;
  }
}

/** Focus on a card that goes with the list moves to the search box, not to the page's body. */
function clearList() {
  const hadFocus = list.contains(document.activeElement);
  list.replaceChildren();
  shown = [];
  moreButton.hidden = true;
  if (hadFocus) searchInput.focus();
}

/** The status line, as text and the search words' own element. */
function describeResults(hasMore, capped) {
  const count = shown.length;
  // The words as typed, or as a shared link carried them: a reordering control in them would reverse the line.
  // In a <bdi>, an isolate (UAX #9) in their own direction: "יוסי 2" read "2 יוסי" in the English sentence.
  const who = query ? [' matching “', element('bdi', '', query.replace(BIDI_CONTROLS, '')), '”'] : [];
  if (count === 0) return ['No one', ...who, '.'];
  const total = [`${count}${hasMore || capped ? '+' : ''} ${count === 1 ? 'person' : 'people'}`, ...who];
  // The list pages no further than the first matches (the bridge's limit): say so, not a false total.
  return capped ? [...total, `; the first ${count} are shown, ${query ? 'narrow the search' : 'search'} to find the others.`] : [...total, '.'];
}

// ---- the search in the URL ----

function queryInUrl() {
  return (new URLSearchParams(window.location.search).get('q') ?? '').trim().slice(0, MAX_SEARCH_LENGTH);
}

/** Puts the search in the address bar: one history entry per search, not per keystroke. */
function rememberQuery() {
  if (query === queryInUrl()) return;
  const url = new URL(window.location.href);
  if (query) url.searchParams.set('q', query);
  else url.searchParams.delete('q');
  const state = { q: query };
  if (startsHistoryEntry) window.history.pushState(state, '', url);
  else window.history.replaceState(state, '', url);
  startsHistoryEntry = false;
}

function search(text, { fromHistory = false } = {}) {
  query = text.trim().slice(0, MAX_SEARCH_LENGTH);
  if (!fromHistory) rememberQuery();
  void loadPage(true);
}

// ---- the detail dialog ----

function addRow(dl, label, ...values) {
  if (values.length === 0) return;
  const dd = element('dd');
  dd.append(...values);
  dl.append(element('dt', '', label), dd);
}

/**
 * A mailto: URL for one address: its local part percent-encoded (RFC 6068 §2), as `?`, `&`,
 * `%` and `#` are valid there and would otherwise start the URL's own fields — an address
 * imported as `ceo?bcc=…&body=…@contoso.com` made a mail with a hidden Bcc and a body.
 */
function mailtoOf(address) {
  const at = address.lastIndexOf('@');
  return `mailto:${encodeURIComponent(address.slice(0, at))}${address.slice(at).replace(/[?#&%]/g, encodeURIComponent)}`;
}

function link(text, href) {
  const a = element('a', '', text);
  a.href = href;
  return a;
}

/** A manager or direct report: a link to the search for them, which also works opened in a new tab. */
function personLink(ref) {
  if (!ref || typeof ref.email !== 'string') return undefined;
  const a = isolated(link(typeof ref.displayName === 'string' && ref.displayName ? ref.displayName : ref.email, `?${new URLSearchParams({ q: ref.email })}`));
  a.addEventListener('click', (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    // The closed view hands focus back a task later: to the search box, not to a card the new list replaces.
    openedFrom = searchInput;
    dialog.close();
    searchInput.value = ref.email;
    startsHistoryEntry = true;
    search(ref.email);
    searchInput.focus();
  });
  return a;
}

/** A number as written, linked to the tel: URI the server read from it; the number alone when it could not read one. */
function phoneEntry(number, uri) {
  if (!number) return undefined;
  return uri ? link(number, uri) : number;
}

function showDetailPhoto(person) {
  showPicture($('person-photo'), person, 504, DETAIL_SIZES, '240px', true);
  $('photo-delete').disabled = !person.photo;
}

function openDetail(person, opener, { edit = false } = {}) {
  openPerson = person;
  opening = Symbol(person.email);
  openedFrom = opener;
  $('person-name').textContent = person.displayName;
  $('person-title').textContent = [person.title, person.department, person.company].filter(Boolean).join(' · ');
  const dl = $('person-contact');
  dl.replaceChildren();
  addRow(dl, 'Email', link(person.email, mailtoOf(person.email)));
  const phone = phoneEntry(person.businessPhone, person.businessPhoneUri);
  if (phone) addRow(dl, 'Phone', phone);
  const mobile = phoneEntry(person.mobilePhone, person.mobilePhoneUri);
  if (mobile) addRow(dl, 'Mobile', mobile);
  const manager = personLink(person.manager);
  if (manager) addRow(dl, 'Manager', manager);
  const reports = (Array.isArray(person.directReports) ? person.directReports : []).map(personLink).filter(Boolean);
  if (reports.length) {
    const ul = element('ul', 'reports');
    for (const a of reports) {
      const li = element('li');
      li.append(a);
      ul.append(li);
    }
    // The list stops at 50; the count is everyone's.
    const count = Math.max(reports.length, Number(person.directReportCount) || 0);
    if (count > reports.length) ul.append(element('li', 'more', `and ${count - reports.length} more`));
    addRow(dl, count === 1 ? 'Direct report' : `Direct reports (${count})`, ul);
  }
  showDetailPhoto(person);
  resetEditor();
  showEditor(person);
  dialog.showModal();
  // The view opens at its start, the person's name (Close is at its end: at 400% zoom the view opened scrolled to its foot).
  (edit ? $('photo-file') : $('person-name')).focus();
}

/** Administrators edit anyone's photo; a person their own, when the bridge allows it. */
function showEditor(person) {
  const admin = me.role === 'admin';
  const own = isMe(person);
  const editor = $('photo-editor');
  editor.hidden = !admin && !(own && me.ownPhoto.allowed);
  $('photo-editor-heading').textContent = own ? 'My photo' : 'Photo';
  $('photo-editor-note').textContent = own && admin && me.ownPhoto.locked ? 'Locked: only administrators can change it.' : '';
  $('lock-row').hidden = !admin;
  if (admin) void showLock(person);
}

async function showLock(person) {
  const box = $('photo-lock');
  box.disabled = true;
  try {
    const { locked } = await getJson(`admin/users/${encodeURIComponent(person.email)}/photo-lock`);
    if (openPerson?.email !== person.email) return;
    box.checked = locked;
    box.disabled = false;
  } catch {
    $('lock-row').hidden = true;
  }
}

function resetEditor() {
  $('photo-file').value = '';
  // Not busy with the save of an earlier opening, which may still be on its way.
  $('photo-file').disabled = false;
  clearChoice();
  editorStatus.textContent = '';
}

function clearChoice() {
  chosen = undefined;
  crop.clear();
  $('crop').hidden = true;
  disable($('photo-upload'), true);
}

async function choose(event) {
  const [file] = event.target.files;
  clearChoice();
  if (!file) return;
  if (await crop.load(file)) {
    chosen = () => crop.toBlob();
    $('crop').hidden = false;
    // The view opens at its top: the frame that just appeared below may be out of sight.
    $('crop').scrollIntoView({ block: 'nearest' });
    editorStatus.textContent = 'Move and zoom the square, then save.';
  } else {
    // HEIC and the like: the bridge decodes them; it crops to a square itself.
    const refusal = refusalOf(file);
    if (refusal) {
      editorStatus.textContent = refusal;
      return;
    }
    chosen = () => Promise.resolve(file);
    editorStatus.textContent = 'This browser cannot show this image; it will be saved as it is, centred.';
  }
  $('photo-upload').disabled = false;
}

/**
 * Why the bridge would refuse a file sent as it is (one this browser cannot show), told
 * before it is sent: a 15 MB file was uploaded whole to be refused. One the browser shows is
 * sent as its crop, a few hundred KB whatever the file's size or name.
 */
function refusalOf(file) {
  // HEIC and HEIF are images the bridge reads, which some browsers give no type.
  if (!file.type.startsWith('image/') && !/\.hei[cf]$/i.test(file.name)) return 'This file is not an image: choose a JPEG, PNG, GIF, WebP, HEIC or HEIF file.';
  if (file.size > me.maxUploadBytes) return `This file is ${megabytes(file.size)}; photos of up to ${megabytes(me.maxUploadBytes)} are accepted.`;
  return undefined;
}

/** MB of 1024 × 1024 bytes, rounded up: a file just over the limit is not "10 MB" like the limit. */
function megabytes(bytes) {
  return `${(Math.ceil((bytes * 10) / 2 ** 20) / 10).toLocaleString('en')} MB`;
}

/** Focus to the person's card where the list shows them, else to the search box: never left on the page's body. */
function focusIn(email) {
  (itemOf(email)?.querySelector('.card') ?? searchInput).focus();
}

/** The list's entry for the person with this address, if the list shows them. */
function itemOf(email) {
  return [...list.children].find((li) => li.dataset.email === email);
}

/** Draws the person's card again, in place. */
function refreshCard(email) {
  const item = itemOf(email);
  const person = shown.find((p) => p.email === email);
  if (!item || !person) return;
  item.replaceWith(card(person));
}

/** The person's photo changed: every card and the open dialog show the new one. */
function photoChanged(email, photo) {
  for (const person of shown) if (person.email === email) person.photo = photo;
  refreshCard(email);
  if (openPerson?.email === email) showDetailPhoto(openPerson);
}

/** A person changes their own photo through the self-service URL (where a lock applies); an administrator through the admin API. */
function photoUrlFor(person) {
  return isMe(person) && me.role !== 'admin' ? 'api/me/photo' : `admin/users/${encodeURIComponent(person.email)}/photo`;
}

async function send(method, url, body) {
  const response = await fetch(url, { method, body });
  if (!response.ok) throw new Error((await response.text()).trim() || `HTTP ${response.status}`);
  return response;
}

/**
 * While a save or delete is on its way the editor sends nothing more: three clicks on Save
 * were three uploads. The file chooser waits too, as a new choice would enable Save.
 */
function editorBusy(busy) {
  disable($('photo-file'), busy);
  disable($('photo-upload'), busy || !chosen);
  disable($('photo-delete'), busy || !openPerson?.photo);
}

/**
 * A control disabled while it has focus hands it to the editor's status, which says what
 * happens next (WCAG 2.4.3): Chromium dropped it to the page's body, and a keyboard user
 * who pressed Save found themselves back at the top of the page.
 */
function disable(control, disabled) {
  if (disabled && document.activeElement === control) editorStatus.focus();
  control.disabled = disabled;
}

// A slow save or delete may be answered once the view shows someone else (or the same
// person anew, another file chosen): the cards take its result, that view's editor does not.

async function upload() {
  if (!chosen || !openPerson) return;
  const person = openPerson;
  const from = opening;
  editorBusy(true);
  editorStatus.textContent = 'Saving…';
  try {
    const stored = await (await send('PUT', photoUrlFor(person), await chosen())).json();
    photoChanged(person.email, { version: stored.sha256.slice(0, 16) });
    if (opening !== from) return;
    resetEditor();
    editorStatus.textContent = 'Photo saved.';
  } catch (error) {
    if (opening === from) editorStatus.textContent = `Saving failed: ${error.message}`;
  } finally {
    if (opening === from) editorBusy(false);
  }
}

async function removePhoto() {
  const person = openPerson;
  const from = opening;
  if (!person?.photo || !window.confirm(`Delete the photo of ${person.displayName}?`)) return;
  editorBusy(true);
  try {
    await send('DELETE', photoUrlFor(person));
    photoChanged(person.email, null);
    if (opening === from) editorStatus.textContent = 'Photo deleted.';
  } catch (error) {
    if (opening === from) editorStatus.textContent = `Delete failed: ${error.message}`;
  } finally {
    if (opening === from) editorBusy(false);
  }
}

async function setLock(event) {
  const box = event.target;
  const locked = box.checked;
  try {
    await send(locked ? 'PUT' : 'DELETE', `admin/users/${encodeURIComponent(openPerson.email)}/photo-lock`);
    editorStatus.textContent = locked ? 'Photo locked.' : 'Photo unlocked.';
  } catch (error) {
    box.checked = !locked;
    editorStatus.textContent = `Could not change the lock: ${error.message}`;
  }
}

// ---- signing out ----

/**
 * Basic authentication has no logout: the browser keeps the login for the realm until it
 * closes. So the page logs in once more, at /sign-out, as a name that is no account; the
 * bridge accepts that name there only, and from then on the browser sends it instead of
 * the real login, which makes every page ask for a login again.
 */
function signOut() {
  const request = new XMLHttpRequest();
  request.open('GET', 'sign-out', true, SIGNED_OUT_USER, SIGNED_OUT_USER);
  request.addEventListener('loadend', () => {
    pending?.abort();
    if (dialog.open) dialog.close();
    document.querySelector('.top').hidden = true;
    document.querySelector('main').hidden = true;
    $('signed-out').hidden = false;
    $('signed-out-heading').focus();
  });
  request.send();
}

// ---- wiring ----

let typingTimer;
searchInput.addEventListener('input', () => {
  clearTimeout(typingTimer);
  list.setAttribute('aria-busy', 'true');
  typingTimer = setTimeout(() => search(searchInput.value), TYPING_PAUSE_MS);
});
// Enter or leaving the box settles the search: the next one is a new history entry.
searchInput.addEventListener('blur', () => (startsHistoryEntry = true));
$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(typingTimer);
  search(searchInput.value);
  startsHistoryEntry = true;
});
window.addEventListener('popstate', () => {
  clearTimeout(typingTimer);
  if (dialog.open) {
    openedFrom = searchInput;
    dialog.close();
  }
  searchInput.value = queryInUrl();
  startsHistoryEntry = true;
  search(searchInput.value, { fromHistory: true });
});
moreButton.addEventListener('click', () => void loadPage(false));
dialog.addEventListener('close', () => {
  const person = openPerson;
  openPerson = undefined;
  crop.clear();
  // A search answered while the view was open, or a new photo, may have replaced the card it was opened from.
  if (openedFrom?.isConnected) openedFrom.focus();
  else focusIn(person?.email);
});
$('photo-file').addEventListener('change', (event) => void choose(event));
$('photo-upload').addEventListener('click', () => void upload());
$('photo-delete').addEventListener('click', () => void removePhoto());
$('photo-lock').addEventListener('change', (event) => void setLock(event));
$('sign-out').addEventListener('click', signOut);
$('my-photo').addEventListener('click', () => void openMyPhoto());

/** Opens the caller's own card (searching for it when it is not on screen). */
async function openMyPhoto() {
  let person = shown.find(isMe);
  if (!person) {
    const page = await getJson(`api/people?${new URLSearchParams({ q: me.email, limit: '5' })}`);
    person = page.people.find(isMe);
  }
  if (person) openDetail(person, $('my-photo'), { edit: true });
}

/** Who is signed in, and whether they may change their own photo (then their card offers it). */
async function whoAmI() {
  const account = await getJson('api/me');
  me = { ...me, username: account.username, role: account.role, maxUploadBytes: account.maxUploadBytes };
  $('me').textContent = `Signed in as ${account.username}${account.role === 'admin' ? ' (administrator)' : ''}`;
  try {
    const own = await getJson('api/me/photo');
    me = { ...me, email: own.email, ownPhoto: { allowed: own.allowed, locked: own.locked } };
    $('my-photo').hidden = !own.allowed;
    const mine = shown.find(isMe);
    if (mine) refreshCard(mine.email);
  } catch {
    // A login that is no directory address has no photo of its own.
  }
}

searchInput.value = queryInUrl();
query = searchInput.value;
void whoAmI().catch(() => undefined);
void loadPage(true);
