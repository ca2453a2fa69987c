#include <librsvg/rsvg.h>
#include <cairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* librsvg + cairo wrapped so Swift needs no GLib macros or GError handling. */

/* Renders an SVG document on white at `scale` times its intrinsic size (its width/height in pixels).
   On success returns 1 and a malloc'ed buffer of 8-bit RGB rows (caller frees) in *rgb with its size;
   on failure returns 0 and copies librsvg's or cairo's message (at most message_size - 1 bytes). */
static inline int ser_svg_render_rgb(const char *svg, size_t length, double scale, unsigned char **rgb,
                                     int *width, int *height, char *message, size_t message_size) {
    *rgb = NULL;
    GError *error = NULL;
    RsvgHandle *handle = rsvg_handle_new_from_data((const guint8 *)svg, length, &error);
    if (handle == NULL) {
        snprintf(message, message_size, "%s", error != NULL ? error->message : "librsvg cannot read the SVG");
        if (error != NULL) g_error_free(error);
        return 0;
    }
    gdouble w = 0, h = 0;
    if (!rsvg_handle_get_intrinsic_size_in_pixels(handle, &w, &h) || !(w > 0 && h > 0)) {
        snprintf(message, message_size, "the SVG has no width and height in absolute units");
        g_object_unref(handle);
        return 0;
    }
    int pw = (int)(w * scale + 0.5), ph = (int)(h * scale + 0.5);
    if (pw < 1 || ph < 1 || pw > 16384 || ph > 16384) {
        snprintf(message, message_size, "%d × %d pixels is not a picture size (1…16384)", pw, ph);
        g_object_unref(handle);
        return 0;
    }
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        snprintf(message, message_size, "cairo: %s", cairo_status_to_string(cairo_surface_status(surface)));
        cairo_surface_destroy(surface);
        g_object_unref(handle);
        return 0;
    }
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    RsvgRectangle viewport = {0, 0, pw, ph};
    int ok = rsvg_handle_render_document(handle, cr, &viewport, &error);
    if (!ok) {
        snprintf(message, message_size, "%s", error != NULL ? error->message : "librsvg cannot render the SVG");
        if (error != NULL) g_error_free(error);
    }
    cairo_destroy(cr);
    cairo_surface_flush(surface);
    unsigned char *out = ok ? malloc((size_t)pw * (size_t)ph * 3) : NULL;
    if (ok && out == NULL) {
        snprintf(message, message_size, "out of memory");
        ok = 0;
    }
    if (ok) {
        const unsigned char *data = cairo_image_surface_get_data(surface);
        int stride = cairo_image_surface_get_stride(surface);
        for (int y = 0; y < ph; y++) {
            const uint32_t *row = (const uint32_t *)(data + (size_t)y * (size_t)stride);
            unsigned char *dst = out + (size_t)y * (size_t)pw * 3;
            for (int x = 0; x < pw; x++) {
                uint32_t p = row[x];
                dst[3 * x] = (p >> 16) & 0xff;
                dst[3 * x + 1] = (p >> 8) & 0xff;
                dst[3 * x + 2] = p & 0xff;
            }
        }
        *rgb = out;
        *width = pw;
        *height = ph;
    }
    cairo_surface_destroy(surface);
    g_object_unref(handle);
    return ok;
}
