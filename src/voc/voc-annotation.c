/* voc-annotation.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "voc-annotation.h"
#include "voc-error.h"
#include "voc-private.h"

typedef struct
{
  const char *forbidden;
} ParseGuard;

/* A DOCTYPE is the only way into entity declarations and external DTDs, so the SAX callback
 * for it stops the parser before a single declaration inside it is read. */
static void
guard_subset (void          *ctx,
              const xmlChar *name,
              const xmlChar *external_id,
              const xmlChar *system_id)
{
  xmlParserCtxtPtr ctxt = ctx;
  ParseGuard *guard = ctxt->_private;

  guard->forbidden = "a document type declaration (DOCTYPE)";
  xmlStopParser (ctxt);
}

static void
guard_entity_decl (void          *ctx,
                   const xmlChar *name,
                   int            type,
                   const xmlChar *public_id,
                   const xmlChar *system_id,
                   xmlChar       *content)
{
  xmlParserCtxtPtr ctxt = ctx;
  ParseGuard *guard = ctxt->_private;

  guard->forbidden = "an entity declaration";
  xmlStopParser (ctxt);
}

static xmlNodePtr
find_child (xmlNodePtr  node,
            const char *name)
{
  for (xmlNodePtr child = node ? node->children : NULL; child != NULL; child = child->next)
    if (child->type == XML_ELEMENT_NODE && xmlStrEqual (child->name, (const xmlChar *) name))
      return child;
  return NULL;
}

static char *
child_text (xmlNodePtr  node,
            const char *name)
{
  xmlNodePtr child = find_child (node, name);
  xmlChar *content;
  char *text;

  if (child == NULL)
    return NULL;
  content = xmlNodeGetContent (child);
  text = g_strstrip (g_strdup (content ? (const char *) content : ""));
  xmlFree (content);
  return text;
}

/* VOC writes integers; some exporters write "273.0" or "273.5": accept and round those. */
static gboolean
child_int (xmlNodePtr  node,
           const char *name,
           int         fallback,
           gboolean    required,
           int        *value,
           const char *display,
           const char *where,
           GError    **error)
{
  g_autofree char *text = child_text (node, name);
  char *end = NULL;
  double v;

  if (text == NULL)
    {
      if (required)
        {
          g_set_error (error, VOC_ERROR, VOC_ERROR_XML, "%s: %s has no <%s>",
                       display, where, name);
          return FALSE;
        }
      *value = fallback;
      return TRUE;
    }
  errno = 0;
  v = g_ascii_strtod (text, &end);
  if (text[0] == '\0' || *end != '\0' || errno != 0 || !isfinite (v)
      || v < -1e9 || v > 1e9)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_XML, "%s: %s <%s> is “%s”, not a number",
                   display, where, name, text);
      return FALSE;
    }
  *value = (int) lround (v);
  return TRUE;
}

static gboolean
child_flag (xmlNodePtr  node,
            const char *name)
{
  g_autofree char *text = child_text (node, name);

  return text != NULL && g_strcmp0 (text, "0") != 0 && g_strcmp0 (text, "") != 0;
}

static void
voc_object_clear (VocObject *object)
{
  g_clear_pointer (&object->name, g_free);
  g_clear_pointer (&object->pose, g_free);
}

void
voc_annotation_free (VocAnnotation *annotation)
{
  if (annotation == NULL)
    return;
  for (guint i = 0; i < annotation->n_objects; i++)
    voc_object_clear (&annotation->objects[i]);
  g_free (annotation->objects);
  g_free (annotation->filename);
  g_free (annotation);
}

static VocAnnotation *
annotation_from_tree (xmlDocPtr    doc,
                      const char  *display,
                      GError     **error)
{
  g_autoptr(VocAnnotation) annotation = g_new0 (VocAnnotation, 1);
  g_autoptr(GArray) objects = g_array_new (FALSE, TRUE, sizeof (VocObject));
  xmlNodePtr root = xmlDocGetRootElement (doc);
  xmlNodePtr size;
  guint index = 0;

  g_array_set_clear_func (objects, (GDestroyNotify) voc_object_clear);

  if (root == NULL || !xmlStrEqual (root->name, (const xmlChar *) "annotation"))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_XML,
                   "%s: not a VOC annotation (the root element is <%s>, not <annotation>)",
                   display, root ? (const char *) root->name : "");
      return NULL;
    }

  annotation->filename = child_text (root, "filename");
  size = find_child (root, "size");
  if (size == NULL)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_XML, "%s: the annotation has no <size>", display);
      return NULL;
    }
  if (!child_int (size, "width", 0, TRUE, &annotation->width, display, "<size>", error)
      || !child_int (size, "height", 0, TRUE, &annotation->height, display, "<size>", error)
      || !child_int (size, "depth", 0, FALSE, &annotation->depth, display, "<size>", error))
    return NULL;
  if (annotation->width <= 0 || annotation->height <= 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_XML, "%s: <size> is %d×%d", display,
                   annotation->width, annotation->height);
      return NULL;
    }
  annotation->segmented = child_flag (root, "segmented");

  for (xmlNodePtr node = root->children; node != NULL; node = node->next)
    {
      g_autofree char *where = NULL;
      VocObject object = { 0 };
      xmlNodePtr box;

      if (node->type != XML_ELEMENT_NODE || !xmlStrEqual (node->name, (const xmlChar *) "object"))
        continue;
      index++;
      where = g_strdup_printf ("<object> %u", index);
      object.name = child_text (node, "name");
      if (object.name == NULL || object.name[0] == '\0')
        {
          g_free (object.name);
          g_set_error (error, VOC_ERROR, VOC_ERROR_XML, "%s: %s has no <name>", display, where);
          return NULL;
        }
      object.pose = child_text (node, "pose");
      if (object.pose == NULL)
        object.pose = g_strdup ("Unspecified");
      object.truncated = child_flag (node, "truncated");
      object.difficult = child_flag (node, "difficult");
      g_array_append_val (objects, object);

      box = find_child (node, "bndbox");
      if (box != NULL)
        {
          VocObject *o = &g_array_index (objects, VocObject, objects->len - 1);

          if (!child_int (box, "xmin", 0, TRUE, &o->xmin, display, where, error)
              || !child_int (box, "ymin", 0, TRUE, &o->ymin, display, where, error)
              || !child_int (box, "xmax", 0, TRUE, &o->xmax, display, where, error)
              || !child_int (box, "ymax", 0, TRUE, &o->ymax, display, where, error))
            return NULL;
        }
    }

  annotation->n_objects = objects->len;
  g_array_set_clear_func (objects, NULL);
  annotation->objects = (VocObject *) (void *) g_array_free (g_steal_pointer (&objects), FALSE);
  return g_steal_pointer (&annotation);
}

VocAnnotation *
voc_annotation_parse (const char  *data,
                      gsize        length,
                      const char  *display,
                      GError     **error)
{
  static gsize initialised = 0;
  ParseGuard guard = { NULL };
  xmlParserCtxtPtr ctxt;
  xmlDocPtr doc;
  VocAnnotation *annotation = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (display == NULL)
    display = "annotation";
  if (g_once_init_enter (&initialised))
    {
      xmlInitParser ();
      g_once_init_leave (&initialised, 1);
    }
  if (length > VOC_ANNOTATION_MAX_BYTES)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_TOO_LARGE,
                   "%s: the annotation is larger than the limit of %d KiB",
                   display, VOC_ANNOTATION_MAX_BYTES >> 10);
      return NULL;
    }
  if (length == 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_XML, "%s: the annotation file is empty", display);
      return NULL;
    }

  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_XML, "%s: cannot start the XML parser", display);
      return NULL;
    }
  ctxt->_private = &guard;
  ctxt->sax->internalSubset = guard_subset;
  ctxt->sax->externalSubset = guard_subset;
  ctxt->sax->entityDecl = guard_entity_decl;

  /* No XML_PARSE_NOENT (entities stay unexpanded), no DTDLOAD / DTDVALID (nothing is
   * fetched), no HUGE (libxml2 keeps its depth and text-size limits), NONET to be sure. */
  doc = xmlCtxtReadMemory (ctxt, data, (int) length, NULL, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

  if (guard.forbidden != NULL || (doc != NULL && doc->intSubset != NULL))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_XML,
                   "%s: refused: the XML contains %s; annotations may not use DTDs or entities",
                   display, guard.forbidden ? guard.forbidden : "a document type declaration");
    }
  else if (doc == NULL || !ctxt->wellFormed)
    {
      const xmlError *xerr = xmlCtxtGetLastError (ctxt);
      g_autofree char *message = g_strdup (xerr && xerr->message ? xerr->message
                                                                 : "unknown error");

      g_set_error (error, VOC_ERROR, VOC_ERROR_XML, "%s: malformed XML at line %d: %s",
                   display, xerr ? xerr->line : 0, g_strstrip (message));
    }
  else
    {
      annotation = annotation_from_tree (doc, display, error);
    }

  if (doc != NULL)
    xmlFreeDoc (doc);
  xmlFreeParserCtxt (ctxt);
  return annotation;
}

VocAnnotation *
_voc_annotation_load_named (const char  *path,
                            const char  *display,
                            GError     **error)
{
  g_autofree char *data = NULL;
  GStatBuf st;
  FILE *fp;
  size_t length;
  int saved_errno;

  if (g_stat (path, &st) != 0)
    {
      saved_errno = errno;
      g_set_error (error, VOC_ERROR,
                   saved_errno == ENOENT || saved_errno == ENOTDIR ? VOC_ERROR_NOT_FOUND
                                                                   : VOC_ERROR_IO,
                   "%s: %s", display,
                   saved_errno == ENOENT ? "no such file" : g_strerror (saved_errno));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: not a regular file", display);
      return NULL;
    }

  /* Read at most one byte over the limit, whatever stat said: the file may be growing. */
  fp = g_fopen (path, "rb");
  if (fp == NULL)
    {
      saved_errno = errno;
      g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: %s", display, g_strerror (saved_errno));
      return NULL;
    }
  data = g_malloc (VOC_ANNOTATION_MAX_BYTES + 1);
  length = fread (data, 1, VOC_ANNOTATION_MAX_BYTES + 1, fp);
  saved_errno = ferror (fp) ? errno : 0;
  fclose (fp);
  if (saved_errno != 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_IO, "%s: %s", display, g_strerror (saved_errno));
      return NULL;
    }
  return voc_annotation_parse (data, length, display, error);
}

VocAnnotation *
voc_annotation_load (const char  *path,
                     GError     **error)
{
  g_autofree char *display = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display = g_filename_display_name (path);
  return _voc_annotation_load_named (path, display, error);
}
