#include <png.h>
#include <stdlib.h>
#include <string.h>

/* libpng's simplified API (no setjmp/longjmp, which Swift cannot handle), wrapped so Swift needs no macros. */

/* Encodes 8-bit RGB rows as a PNG in memory. Call with memory == NULL to learn the size in *bytes, then
   again with a buffer of that size. Returns 1 on success; on failure copies libpng's message. */
static inline int ser_png_write_rgb_memory(void *memory, size_t *bytes, const unsigned char *rgb, unsigned width,
                                           unsigned height, char *message) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_RGB;
    png_alloc_size_t size = *bytes;
    int ok = png_image_write_to_memory(&image, memory, &size, 0, rgb, 0, NULL);
    if (!ok) strncpy(message, image.message, 63);
    *bytes = size;
    png_image_free(&image);
    return ok;
}

/* Reads any PNG as 8-bit RGB. On success returns 1 and a malloc'ed buffer (caller frees) in *rgb. */
static inline int ser_png_read_rgb(const char *path, unsigned char **rgb, unsigned *width, unsigned *height,
                                   char *message) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    *rgb = NULL;
    if (!png_image_begin_read_from_file(&image, path)) {
        strncpy(message, image.message, 63);
        return 0;
    }
    image.format = PNG_FORMAT_RGB;
    size_t size = PNG_IMAGE_SIZE(image);
    unsigned char *buffer = malloc(size);
    if (buffer == NULL) {
        strncpy(message, "out of memory", 63);
        png_image_free(&image);
        return 0;
    }
    if (!png_image_finish_read(&image, NULL, buffer, 0, NULL)) {
        strncpy(message, image.message, 63);
        free(buffer);
        png_image_free(&image);
        return 0;
    }
    *width = image.width;
    *height = image.height;
    *rgb = buffer;
    return 1;
}
