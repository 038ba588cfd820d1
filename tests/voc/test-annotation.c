/* test-annotation.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "voc/voc.h"
#include "voc-test-util.h"

static void
test_real (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VocAnnotation) a = NULL;
  g_autofree char *path = NULL;

  if (voc_test_root () == NULL)
    return;
  path = voc_test_path ("Annotations", "000032.xml", NULL);
  a = voc_annotation_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a->filename, ==, "000032.jpg");
  g_assert_cmpint (a->width, ==, 500);
  g_assert_cmpint (a->height, ==, 281);
  g_assert_cmpint (a->depth, ==, 3);
  g_assert_true (a->segmented);
  g_assert_cmpuint (a->n_objects, ==, 4);
  g_assert_cmpstr (a->objects[0].name, ==, "aeroplane");
  g_assert_cmpstr (a->objects[0].pose, ==, "Frontal");
  g_assert_false (a->objects[0].truncated);
  g_assert_false (a->objects[0].difficult);
  g_assert_cmpint (a->objects[0].xmin, ==, 104);
  g_assert_cmpint (a->objects[0].ymin, ==, 78);
  g_assert_cmpint (a->objects[0].xmax, ==, 375);
  g_assert_cmpint (a->objects[0].ymax, ==, 183);
  g_assert_cmpstr (a->objects[3].name, ==, "person");
  g_assert_cmpstr (a->objects[3].pose, ==, "Rear");
  g_assert_cmpint (a->objects[3].xmin, ==, 26);
  g_assert_cmpint (a->objects[3].ymax, ==, 238);
}

static void
test_flags_and_defaults (void)
{
  static const char xml[] =
    "<?xml version=\"1.0\"?>\n<annotation><size><width>10</width><height>20.0</height></size>"
    "<object><name>cat</name><truncated>1</truncated><difficult>1</difficult></object>"
    "<object><name>dog &amp; co</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax>"
    "<ymax>4</ymax></bndbox></object></annotation>";
  g_autoptr(GError) error = NULL;
  g_autoptr(VocAnnotation) a = voc_annotation_parse (xml, strlen (xml), "mem.xml", &error);

  g_assert_no_error (error);
  g_assert_cmpint (a->width, ==, 10);
  g_assert_cmpint (a->height, ==, 20);
  g_assert_cmpint (a->depth, ==, 0);
  g_assert_false (a->segmented);
  g_assert_null (a->filename);
  g_assert_cmpuint (a->n_objects, ==, 2);
  g_assert_true (a->objects[0].truncated);
  g_assert_true (a->objects[0].difficult);
  g_assert_cmpstr (a->objects[0].pose, ==, "Unspecified");
  g_assert_cmpint (a->objects[0].xmax, ==, 0);
  g_assert_cmpstr (a->objects[1].name, ==, "dog & co");
  g_assert_cmpint (a->objects[1].ymax, ==, 4);
}

static void
assert_refused (const char *data,
                gsize       length,
                VocError    code,
                const char *words)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "hostile.xml", NULL);
  VocAnnotation *a;

  /* From memory ... */
  a = voc_annotation_parse (data, length, "hostile.xml", &error);
  g_assert_null (a);
  g_assert_error (error, VOC_ERROR, (int) code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "hostile.xml"));
  if (words != NULL)
    g_assert_nonnull (strstr (error->message, words));
  g_assert_null (strstr (error->message, "root:"));
  g_clear_error (&error);

  /* ... and from a file. */
  voc_test_write (dir, "hostile.xml", data, length);
  a = voc_annotation_load (path, &error);
  g_assert_null (a);
  g_assert_error (error, VOC_ERROR, (int) code);
  g_assert_nonnull (strstr (error->message, "hostile.xml"));
  voc_test_rm_rf (dir);
}

static void
test_hostile (void)
{
  static const char laughs[] =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
    "]>\n<annotation><filename>&lol9;</filename><size><width>1</width><height>1</height>"
    "</size></annotation>";
  static const char external[] =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE annotation [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>"
    "<annotation><filename>&xxe;</filename><size><width>1</width><height>1</height></size>"
    "</annotation>";
  static const char external_dtd[] =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE annotation SYSTEM \"http://example.com/evil.dtd\">"
    "<annotation><size><width>1</width><height>1</height></size></annotation>";
  static const char parameter[] =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE a [ <!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p; ]>"
    "<annotation/>";
  static const char undeclared[] =
    "<annotation><filename>&xxe;</filename><size><width>1</width><height>1</height></size>"
    "</annotation>";
  static const char malformed[] =
    "<annotation><size><width>1</width><height>1</height></size><object><name>cat</object>";
  static const char not_voc[] = "<html><body/></html>";
  static const char no_size[] = "<annotation><object><name>cat</name></object></annotation>";
  static const char bad_number[] =
    "<annotation><size><width>wide</width><height>1</height></size></annotation>";
  static const char no_name[] =
    "<annotation><size><width>1</width><height>1</height></size><object/></annotation>";
  g_autoptr(GString) deep = g_string_new ("<annotation>");
  g_autoptr(GString) huge = g_string_new ("<annotation><size><width>1</width><height>1</height>"
                                          "</size>");

  assert_refused (laughs, strlen (laughs), VOC_ERROR_XML, "DOCTYPE");
  assert_refused (external, strlen (external), VOC_ERROR_XML, "DOCTYPE");
  assert_refused (external_dtd, strlen (external_dtd), VOC_ERROR_XML, "DOCTYPE");
  assert_refused (parameter, strlen (parameter), VOC_ERROR_XML, "DOCTYPE");
  assert_refused (undeclared, strlen (undeclared), VOC_ERROR_XML, "malformed");
  assert_refused (malformed, strlen (malformed), VOC_ERROR_XML, "malformed");
  assert_refused (malformed, 20, VOC_ERROR_XML, "malformed");
  assert_refused (not_voc, strlen (not_voc), VOC_ERROR_XML, "<html>");
  assert_refused (no_size, strlen (no_size), VOC_ERROR_XML, "<size>");
  assert_refused (bad_number, strlen (bad_number), VOC_ERROR_XML, "wide");
  assert_refused (no_name, strlen (no_name), VOC_ERROR_XML, "<name>");
  assert_refused ("", 0, VOC_ERROR_XML, "empty");
  assert_refused ("\xff\xfe\x00garbage", 10, VOC_ERROR_XML, NULL);

  for (int i = 0; i < 5000; i++)
    g_string_append (deep, "<object>");
  assert_refused (deep->str, deep->len, VOC_ERROR_XML, "malformed");

  while (huge->len <= VOC_ANNOTATION_MAX_BYTES)
    g_string_append (huge, "<object><name>cat</name></object>\n");
  g_string_append (huge, "</annotation>");
  assert_refused (huge->str, huge->len, VOC_ERROR_TOO_LARGE, "limit");
}

static void
test_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = voc_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "nothing.xml", NULL);

  g_assert_null (voc_annotation_load (path, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nothing.xml"));
  g_clear_error (&error);
  g_assert_null (voc_annotation_load (dir, &error));
  g_assert_error (error, VOC_ERROR, VOC_ERROR_IO);
  voc_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/voc/annotation/real", test_real);
  g_test_add_func ("/voc/annotation/flags-and-defaults", test_flags_and_defaults);
  g_test_add_func ("/voc/annotation/hostile", test_hostile);
  g_test_add_func ("/voc/annotation/missing", test_missing_file);

  return g_test_run ();
}
