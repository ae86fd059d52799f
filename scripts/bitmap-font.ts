/**
 * A 5x7 bitmap font and the two drawing helpers the picture scripts share (docs/img/*.png):
 * labels are drawn into the image itself, so the pictures need no font or browser.
 */
import type { RgbImage } from "../src/restoration/image.js";

/** Glyphs ('#' = ink): capitals, digits and the few signs the labels use. */
export const FONT: Record<string, readonly string[]> = {
  A: [" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
  B: ["#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "],
  C: [" ####", "#    ", "#    ", "#    ", "#    ", "#    ", " ####"],
  E: ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"],
  G: [" ####", "#    ", "#    ", "#  ##", "#   #", "#   #", " ####"],
  H: ["#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
  I: ["#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "#####"],
  J: ["  ###", "    #", "    #", "    #", "    #", "#   #", " ### "],
  L: ["#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"],
  N: ["#   #", "##  #", "# # #", "#  ##", "#   #", "#   #", "#   #"],
  O: [" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
  P: ["#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "],
  R: ["#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"],
  S: [" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "],
  T: ["#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "],
  U: ["#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
  W: ["#   #", "#   #", "#   #", "# # #", "# # #", "## ##", "#   #"],
  X: ["#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"],
  Z: ["#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"],
  "4": ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
  D: ["#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "],
  F: ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "],
  K: ["#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"],
  M: ["#   #", "## ##", "# # #", "#   #", "#   #", "#   #", "#   #"],
  V: ["#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "],
  Y: ["#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "],
  "0": [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
  "1": ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
  "2": [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
  "3": ["#### ", "    #", "    #", " ### ", "    #", "    #", "#### "],
  "5": ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
  "6": [" ### ", "#    ", "#    ", "#### ", "#   #", "#   #", " ### "],
  "7": ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
  "8": [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
  "9": [" ### ", "#   #", "#   #", " ####", "    #", "    #", " ### "],
  ".": ["     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "],
  "+": ["     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "],
  "-": ["     ", "     ", "     ", "#####", "     ", "     ", "     "],
  " ": ["     ", "     ", "     ", "     ", "     ", "     ", "     "],
};

/** Draws `text` in white at (left, top) with each font pixel as a `scale` x `scale` square. */
export function drawText(canvas: RgbImage, text: string, left: number, top: number, scale: number): void {
  let x0 = left;
  for (const ch of text) {
    const glyph = FONT[ch] ?? FONT[" "]!;
    glyph.forEach((row, gy) => {
      for (let gx = 0; gx < row.length; gx++) {
        if (row[gx] !== "#") continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const x = x0 + gx * scale + dx;
            const y = top + gy * scale + dy;
            if (x < canvas.width && y < canvas.height)
              canvas.data.fill(1, (y * canvas.width + x) * 3, (y * canvas.width + x) * 3 + 3);
          }
        }
      }
    });
    x0 += 6 * scale;
  }
}

/** Copies `tile` into `canvas` with its top-left corner at (left, top). */
export function paste(canvas: RgbImage, tile: RgbImage, left: number, top: number): void {
  for (let y = 0; y < tile.height; y++) {
    canvas.data.set(
      tile.data.subarray(y * tile.width * 3, (y + 1) * tile.width * 3),
      ((top + y) * canvas.width + left) * 3,
    );
  }
}
