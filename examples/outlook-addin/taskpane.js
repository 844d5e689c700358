// Shows the sender of the open message with their photo from ews-photo-bridge, fetched
// through the EWS REST photo URL with the add-in's SSO token as a bearer token.
const BRIDGE_URL = 'https://photos.example.com';
const SIZE = 'HR96x96';

Office.onReady(async () => {
  const from = Office.context.mailbox.item.from;
  const photo = document.getElementById('photo');
  const status = document.getElementById('status');
  document.getElementById('sender').textContent = `${from.displayName} <${from.emailAddress}>`;
  try {
    // The token's audience is the add-in's app registration; the bridge checks it
    // (BRIDGE_JWT_AUDIENCE) and reads the caller's mailbox from preferred_username.
    const token = await Office.auth.getAccessToken({ allowSignInPrompt: true });
    const query = new URLSearchParams({ email: from.emailAddress, size: SIZE });
    const response = await fetch(`${BRIDGE_URL}/ews/exchange.asmx/s/GetUserPhoto?${query}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (response.status === 404) {
      status.textContent = 'No photo.';
      return;
    }
    if (!response.ok) throw new Error(`the bridge answered ${response.status}`);
    photo.src = URL.createObjectURL(await response.blob());
    photo.alt = `Photo of ${from.displayName}`;
    photo.hidden = false;
  } catch (error) {
    status.textContent = `Could not load the photo: ${error.message ?? error}`;
  }
});
