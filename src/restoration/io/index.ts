/** Image file input/output: PNG (every colour type) and JPEG, with typed errors. */
export { checkImageSize, ImageFileError, MAX_IMAGE_PIXELS, type ImageFileErrorReason, type ImageLimits } from "./image-file-error.js";
export { decodePng, encodePng, isPng, readPngFile, PNG_SIGNATURE } from "./png.js";
export { decodeJpeg, encodeJpeg, isJpeg } from "./jpeg.js";
export { decodeImage, readImage, readImageSync, writePng } from "./read-image.js";
