/** Image file input/output: PNG (every colour type) and JPEG, with typed errors. */
export { ImageFileError, type ImageFileErrorReason } from "./image-file-error.js";
export { decodePng, encodePng, isPng, readPngFile, PNG_SIGNATURE } from "./png.js";
export { decodeJpeg, encodeJpeg, isJpeg } from "./jpeg.js";
export { decodeImage, readImage, readImageSync, writePng } from "./read-image.js";
