import sharp from 'sharp';

// One libvips thread per image and no operation cache: the node also serves chats on few cores,
// and images are handled one or two at a time (FileService's image slots).
sharp.concurrency(1);
sharp.cache(false);

/** Largest image decoded, in pixels (width × height): past it, a small file that expands into gigabytes is refused. */
export const MAX_IMAGE_PIXELS = 40_000_000;
/** A thumbnail fits in this many pixels each way. */
export const THUMBNAIL_SIZE = 320;

export interface ImageFacts {
  width: number;
  height: number;
  /** WebP, at most THUMBNAIL_SIZE each way, upright. */
  thumbnail: Buffer;
}

/**
 * The dimensions (as displayed: EXIF orientation applied) and a thumbnail of an image, or
 * undefined when sharp cannot read it (corrupt, or larger than MAX_IMAGE_PIXELS). Animated
 * images give their first frame.
 */
export async function readImage(bytes: Buffer): Promise<ImageFacts | undefined> {
  try {
    const image = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' });
    const { width, height, orientation } = await image.metadata();
    if (!width || !height) return undefined;
    const thumbnail = await image
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
    const turned = orientation !== undefined && orientation >= 5;
    return { width: turned ? height : width, height: turned ? width : height, thumbnail };
  } catch {
    return undefined;
  }
}
