// The square crop step of a photo upload: the chosen image in a square frame the user
// moves (drag, a click where its centre should be, arrow keys) and zooms (slider, wheel, + and −); what the frame shows is
// what gets uploaded, so the bridge's own square renditions show the face the user chose.

/** The bridge keeps photos up to 648 px; a larger crop would only be scaled down there. */
const MAX_SIDE = 648;
const MIN_ZOOM = 1;
const MAX_ZOOM = 4;
const WHEEL_STEP = 1.1;
const KEY_STEP = 0.05; // of the frame's side; Shift moves five times as far
/** How far, in screen pixels, a press may wander and still be a click, not a drag: a finger wanders further than a mouse. */
const CLICK_SLOP = { mouse: 4, other: 12 };

const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

export class SquareCrop {
  #canvas;
  #zoomInput;
  #preview;
  #image;
  #centreX = 0;
  #centreY = 0;
  #zoom = MIN_ZOOM;
  #dragFrom;
  /** Where the press began, and whether it has wandered into a drag since: then its click moves nothing more. */
  #pressedAt;
  #dragged = false;

  /** `canvas`: the frame (focusable); `zoomInput`: a range input from 1 to 4; `preview`: a small canvas showing the result as a card would. */
  constructor({ canvas, zoomInput, preview }) {
    this.#canvas = canvas;
    this.#zoomInput = zoomInput;
    this.#preview = preview;
    // The primary button, a finger or a pen only: a right-click opens the menu and moves nothing.
    canvas.addEventListener('pointerdown', (event) => {
      if (!this.#image || event.button !== 0) return;
      canvas.setPointerCapture(event.pointerId);
      this.#dragFrom = { x: event.clientX, y: event.clientY };
      this.#pressedAt = this.#dragFrom;
      this.#dragged = false;
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!this.#dragFrom) return;
      const scale = this.#imagePixelsPerScreenPixel();
      this.#moveBy((this.#dragFrom.x - event.clientX) * scale, (this.#dragFrom.y - event.clientY) * scale);
      this.#dragFrom = { x: event.clientX, y: event.clientY };
      const slop = event.pointerType === 'mouse' ? CLICK_SLOP.mouse : CLICK_SLOP.other;
      if (Math.hypot(event.clientX - this.#pressedAt.x, event.clientY - this.#pressedAt.y) > slop) this.#dragged = true;
    });
    const endPress = () => (this.#dragFrom = undefined);
    canvas.addEventListener('pointerup', endPress);
    canvas.addEventListener('pointercancel', endPress);
    // A click (a tap, as the browser counts one) centres the frame where it points: moving it needs no drag (WCAG 2.2 2.5.7, Dragging Movements).
    canvas.addEventListener('click', (event) => {
      if (!this.#image || this.#dragged) return;
      const box = canvas.getBoundingClientRect();
      const scale = this.#imagePixelsPerScreenPixel();
      this.#moveBy((event.clientX - box.left - box.width / 2) * scale, (event.clientY - box.top - box.height / 2) * scale);
    });
    canvas.addEventListener(
      'wheel',
      (event) => {
        if (!this.#image) return;
        event.preventDefault();
        this.#setZoom(this.#zoom * (event.deltaY < 0 ? WHEEL_STEP : 1 / WHEEL_STEP));
      },
      { passive: false },
    );
    canvas.addEventListener('keydown', (event) => this.#onKey(event));
    zoomInput.addEventListener('input', () => this.#setZoom(Number(zoomInput.value)));
  }

  /** Shows `file` in the frame, centred and filling it; false when this browser cannot decode it. */
  async load(file) {
    this.clear();
    try {
      this.#image = await createImageBitmap(file);
    } catch {
      return false;
    }
    this.#centreX = this.#image.width / 2;
    this.#centreY = this.#image.height / 2;
    this.#setZoom(MIN_ZOOM);
    return true;
  }

  clear() {
    this.#image?.close();
    this.#image = undefined;
    this.#dragFrom = undefined;
    for (const canvas of [this.#canvas, this.#preview]) canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
  }

  /** The framed square as a PNG, at its own resolution up to MAX_SIDE. */
  toBlob() {
    const side = Math.max(1, Math.min(MAX_SIDE, Math.round(this.#side())));
    const out = document.createElement('canvas');
    out.width = side;
    out.height = side;
    this.#drawInto(out);
    return new Promise((resolve, reject) => out.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the crop could not be encoded'))), 'image/png'));
  }

  /** The side of the frame in image pixels: the short side of the image at zoom 1. */
  #side() {
    return Math.min(this.#image.width, this.#image.height) / this.#zoom;
  }

  /** The frame's side in the image over its side on screen. */
  #imagePixelsPerScreenPixel() {
    return this.#side() / this.#canvas.getBoundingClientRect().width;
  }

  #moveBy(dx, dy) {
    this.#centreX += dx;
    this.#centreY += dy;
    this.#draw();
  }

  #setZoom(zoom) {
    this.#zoom = clamp(zoom, MIN_ZOOM, MAX_ZOOM);
    this.#zoomInput.value = String(this.#zoom);
    this.#draw();
  }

  #onKey(event) {
    if (!this.#image) return;
    const step = this.#side() * KEY_STEP * (event.shiftKey ? 5 : 1);
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) this.#moveBy(...moves[event.key]);
    else if (event.key === '+' || event.key === '=') this.#setZoom(this.#zoom * WHEEL_STEP);
    else if (event.key === '-' || event.key === '−') this.#setZoom(this.#zoom / WHEEL_STEP);
    else return;
    event.preventDefault();
  }

  /** Keeps the frame inside the image, then paints the frame and the preview. */
  #draw() {
    if (!this.#image) return;
    const half = this.#side() / 2;
    this.#centreX = clamp(this.#centreX, half, this.#image.width - half);
    this.#centreY = clamp(this.#centreY, half, this.#image.height - half);
    this.#drawInto(this.#canvas);
    this.#drawInto(this.#preview);
    const side = Math.round(this.#side());
    this.#canvas.setAttribute('aria-label', `Crop of ${side} by ${side} pixels at zoom ${this.#zoom.toFixed(1)}`);
  }

  #drawInto(canvas) {
    const side = this.#side();
    const context = canvas.getContext('2d');
    context.imageSmoothingQuality = 'high';
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.drawImage(this.#image, this.#centreX - side / 2, this.#centreY - side / 2, side, side, 0, 0, canvas.width, canvas.height);
  }
}
