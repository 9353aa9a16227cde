// Photos are shrunk on the phone before they are queued: a 12-megapixel camera picture is
// 4–8 MB, too much to keep many of offline or to send over a weak signal, and 1600 px on
// the longest side is plenty to see a heap of film or dung.

/** The longest side of a stored photo, px. */
export const MAX_SIDE_PX = 1600;
const JPEG_QUALITY = 0.85;

/**
 * Decodes an image file (any format the browser reads, camera orientation applied),
 * scales it to fit `maxSide` and encodes it as JPEG. Resolves to
 * `{ blob, width, height, originalWidth, originalHeight }`.
 */
export async function downscale(file, maxSide = MAX_SIDE_PX) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d");
  // JPEG has no transparency: a transparent PNG would turn black without a background.
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, width, height);
  const result = { width, height, originalWidth: bitmap.width, originalHeight: bitmap.height };
  bitmap.close();
  result.blob = await canvas.convertToBlob({ type: "image/jpeg", quality: JPEG_QUALITY });
  return result;
}
