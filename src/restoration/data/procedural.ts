/**
 * An embedded source of clean, natural-looking images that needs no files: the dead-leaves
 * model (occluding shapes whose sizes follow a power law, which gives the scale invariance and
 * the 1/f spectrum of natural images), with smooth shading inside each shape, some oriented
 * texture, anti-aliased edges and a gradient background. Deterministic per seed.
 *
 * @example
 * const img = proceduralImage(Rng.seeded(7), 64, 64); // the same 64x64 image every time
 */
import type { Rng } from "../../core/random.js";
import type { RgbImage } from "../image.js";

/** Tunables of the generator; the defaults suit 32 to 512 pixel images. */
export type ProceduralOptions = {
  /** Exponent alpha of the size law p(r) ~ r^-alpha (3 is the classic dead-leaves value). */
  readonly sizeExponent?: number;
  /** Number of shapes; default: enough to cover the image about four times over on average (the
   * dead-leaves limit, where hardly any background shows). */
  readonly shapes?: number;
  /** Fraction of shapes that carry an oriented sinusoidal texture. */
  readonly texturedFraction?: number;
};

/** Radius with density proportional to r^-alpha on [rMin, rMax] (inverse CDF). */
function powerLawRadius(rng: Rng, rMin: number, rMax: number, alpha: number): number {
  const e = 1 - alpha;
  const lo = Math.pow(rMin, e);
  const hi = Math.pow(rMax, e);
  return Math.pow(lo + rng.uniform() * (hi - lo), 1 / e);
}

/** How many times over, on average, the shapes cover the image. */
const COVERAGE = 4;

/** E[area] of a shape: pi * E[r^2] * E[aspect] for the power law on [rMin, rMax], aspect ~ U(0.4, 1). */
function meanShapeArea(rMin: number, rMax: number, alpha: number): number {
  // E[r^2] = int r^2 r^-alpha dr / int r^-alpha dr, with closed forms (log where an exponent is 0).
  const integral = (p: number): number =>
    Math.abs(p) < 1e-9 ? Math.log(rMax / rMin) : (Math.pow(rMax, p) - Math.pow(rMin, p)) / p;
  const meanR2 = integral(3 - alpha) / integral(1 - alpha);
  return Math.PI * meanR2 * 0.7;
}

/** A colour with natural-ish statistics: a random luminance plus a moderate chromatic offset. */
function drawColour(rng: Rng, out: Float64Array): void {
  const luminance = rng.uniform(0.08, 0.92);
  const chroma = rng.uniform(0, 0.25);
  for (let c = 0; c < 3; c++) out[c] = luminance + chroma * (rng.uniform() * 2 - 1);
}

/** Colours per image: shapes pick one and jitter it, so a picture has a coherent palette as real scenes do. */
const PALETTE_SIZE = 6;

/**
 * A procedural width x height RGB image in [0, 1], fully determined by `rng`'s state
 * (it advances `rng`).
 */
export function proceduralImage(rng: Rng, width: number, height: number, options: ProceduralOptions = {}): RgbImage {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  const alpha = options.sizeExponent ?? 3;
  const texturedFraction = options.texturedFraction ?? 0.35;
  const data = new Float32Array(width * height * 3);
  const size = Math.max(width, height);
  const rMin = Math.max(1.5, 0.025 * size);
  const rMax = 0.5 * size;
  const shapeCount =
    options.shapes ?? Math.min(20000, Math.ceil((COVERAGE * width * height) / meanShapeArea(rMin, rMax, alpha)));
  const colour = new Float64Array(3);
  const gradient = new Float64Array(3);

  const palette = Array.from({ length: PALETTE_SIZE }, () => {
    const entry = new Float64Array(3);
    drawColour(rng, entry);
    return entry;
  });

  // Background: a linear blend of two colours along a random direction.
  const other = new Float64Array(3);
  drawColour(rng, colour);
  drawColour(rng, other);
  const bgAngle = rng.uniform(0, 2 * Math.PI);
  const bx = Math.cos(bgAngle) / size;
  const by = Math.sin(bgAngle) / size;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = 0.5 + (x - width / 2) * bx + (y - height / 2) * by;
      for (let c = 0; c < 3; c++)
        data[(y * width + x) * 3 + c] = (colour[c] as number) * (1 - t) + (other[c] as number) * t;
    }
  }

  for (let s = 0; s < shapeCount; s++) {
    const cx = rng.uniform(-0.05, 1.05) * width;
    const cy = rng.uniform(-0.05, 1.05) * height;
    const radius = powerLawRadius(rng, rMin, rMax, alpha);
    const aspect = rng.uniform(0.4, 1);
    const a = radius; // semi-axis along the shape's own u
    const b = radius * aspect; // semi-axis along v
    const rotation = rng.uniform(0, Math.PI);
    const cr = Math.cos(rotation);
    const sr = Math.sin(rotation);
    const isRectangle = rng.uniform() < 0.25;
    const base = palette[rng.int(PALETTE_SIZE)] as Float64Array;
    const jitter = rng.uniform(0, 0.12);
    for (let c = 0; c < 3; c++) colour[c] = (base[c] as number) + jitter * (rng.uniform() * 2 - 1);
    // Shading: a colour gradient across the shape, up to +-0.15 from centre to rim.
    for (let c = 0; c < 3; c++) gradient[c] = rng.uniform(-0.15, 0.15);
    const shadeAngle = rng.uniform(0, 2 * Math.PI);
    const shx = Math.cos(shadeAngle) / radius;
    const shy = Math.sin(shadeAngle) / radius;
    const textured = rng.uniform() < texturedFraction;
    const textureAmplitude = textured ? rng.uniform(0.02, 0.1) : 0;
    const textureFrequency = rng.uniform(0.06, 0.35) * 2 * Math.PI;
    const textureAngle = rng.uniform(0, Math.PI);
    const tfx = Math.cos(textureAngle) * textureFrequency;
    const tfy = Math.sin(textureAngle) * textureFrequency;
    const texturePhase = rng.uniform(0, 2 * Math.PI);

    // Per-channel constants as locals: the pixel loop below is the generator's hot spot.
    const c0 = colour[0] as number;
    const c1 = colour[1] as number;
    const c2 = colour[2] as number;
    const g0 = gradient[0] as number;
    const g1 = gradient[1] as number;
    const g2 = gradient[2] as number;
    const invA2 = 1 / (a * a);
    const invB2 = 1 / (b * b);
    const reach = a + 1;
    const x0 = Math.max(0, Math.floor(cx - reach));
    const x1 = Math.min(width - 1, Math.ceil(cx + reach));
    const y0 = Math.max(0, Math.floor(cy - reach));
    const y1 = Math.min(height - 1, Math.ceil(cy + reach));
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy;
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx;
        const u = dx * cr + dy * sr;
        const v = -dx * sr + dy * cr;
        // Approximate signed distance to the edge in pixels, for a 1-pixel anti-aliased rim.
        let inside: number;
        if (isRectangle) inside = Math.min(a - Math.abs(u), b - Math.abs(v));
        else inside = (1 - Math.sqrt(u * u * invA2 + v * v * invB2)) * b;
        const coverage = inside >= 0.5 ? 1 : inside <= -0.5 ? 0 : inside + 0.5;
        if (coverage === 0) continue;
        const shade = dx * shx + dy * shy;
        const texture = textured ? textureAmplitude * Math.sin(x * tfx + y * tfy + texturePhase) : 0;
        const p = (y * width + x) * 3;
        const keep = 1 - coverage;
        data[p] = (data[p] as number) * keep + (c0 + g0 * shade + texture) * coverage;
        data[p + 1] = (data[p + 1] as number) * keep + (c1 + g1 * shade + texture) * coverage;
        data[p + 2] = (data[p + 2] as number) * keep + (c2 + g2 * shade + texture) * coverage;
      }
    }
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    data[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return { width, height, data };
}
