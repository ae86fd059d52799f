/** Image file input/output: PNG (every colour type) and JPEG, with typed errors. */
export {
  checkImageSize,
  ImageFileError,
  MAX_IMAGE_PIXELS,
  type ImageFileErrorReason,
  type ImageLimits,
} from "./image-file-error.js";
export {
  decodePng,
  decodePngAlpha,
  encodePng,
  isPng,
  pngFacts,
  readPngFile,
  PNG_SIGNATURE,
  type PngEncoding,
  type PngFacts,
} from "./png.js";
export { decodeJpeg, encodeJpeg, isJpeg } from "./jpeg.js";
export { decodeImage, readImage, readImageSync, writePng } from "./read-image.js";
