/* image_dir.c — the images of a directory, in name order. */
#include "image_dir.h"

#include <string.h>

bool
image_dir_is_image_name (const char *name)
{
  static const char *const extensions[] = { ".png", ".jpg", ".jpeg" };
  const char *dot = strrchr (name, '.');
  for (size_t i = 0; dot && i < G_N_ELEMENTS (extensions); i++)
    if (g_ascii_strcasecmp (dot, extensions[i]) == 0)
      return true;
  return false;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
image_dir_list (const char *dir, GError **error)
{
  GDir *d = g_dir_open (dir, 0, error);
  if (!d)
    return NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  for (const char *name; (name = g_dir_read_name (d));)
    if (image_dir_is_image_name (name))
      g_ptr_array_add (names, g_strdup (name));
  g_dir_close (d);
  g_ptr_array_sort (names, compare_names);
  return names;
}
