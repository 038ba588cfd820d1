/* studio-preferences-window.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "voc/voc-colormap.h"

#include "studio-preferences-window.h"
#include "studio-recent-datasets.h"
#include "studio-util.h"

struct _StudioPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  GtkFileChooserNative *model_chooser;
  StudioRecentDatasets *recent_datasets;
  /* one per VOC class, in class order */
  GtkColorButton       *colour_buttons[VOC_N_CLASSES];
  GtkWidget            *colour_reset_buttons[VOC_N_CLASSES];

  GtkScale             *opacity_scale;
  AdwComboRow          *confidence_row;
  GtkSwitch            *flip_switch;
  AdwActionRow         *threads_row;
  GtkSpinButton        *threads_spin;
  AdwActionRow         *model_row;
  GtkListBox           *recent_list;
  AdwPreferencesGroup  *colours_group;
};

G_DEFINE_FINAL_TYPE (StudioPreferencesWindow, studio_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The nicks of the ConfidenceKind enum, in the order of the combo row's items. */
static const char *const confidence_kinds[] = { "probability", "entropy" };

StudioPreferencesWindow *
studio_preferences_window_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (STUDIO_TYPE_PREFERENCES_WINDOW, "settings", settings, NULL);
}

static char *
format_opacity (GtkScale *scale,
                double    value,
                gpointer  user_data)
{
  /* Translators: the overlay opacity in percent; a no-break space may precede the % sign */
  return g_strdup_printf (_("%d %%"), (int) lround (value * 100.0));
}

static gboolean
confidence_kind_get_mapping (GValue   *value,
                             GVariant *variant,
                             gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (confidence_kinds); i++)
    if (g_str_equal (nick, confidence_kinds[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
confidence_kind_set_mapping (const GValue       *value,
                             const GVariantType *expected_type,
                             gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  if (selected >= G_N_ELEMENTS (confidence_kinds))
    return NULL;
  return g_variant_new_string (confidence_kinds[selected]);
}

/* Default model */

static void
update_model_row (StudioPreferencesWindow *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "default-model");

  if (path[0] == '\0')
    {
      adw_action_row_set_subtitle (self->model_row, _("Built-in model"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->model_row), NULL);
    }
  else
    {
      g_autofree char *name = g_filename_display_basename (path);
      g_autofree char *tooltip = studio_display_path (path);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        adw_action_row_set_subtitle (self->model_row, name);
      else
        {
          /* Translators: %s is the file name of a model that has been moved or deleted */
          g_autofree char *missing = g_strdup_printf (_("%s (not found)"), name);

          adw_action_row_set_subtitle (self->model_row, missing);
        }
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->model_row), tooltip);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preferences.reset-model", path[0] != '\0');
}

static void
on_model_chooser_response (StudioPreferencesWindow *self,
                           int                      response,
                           GtkNativeDialog         *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "default-model", path);
      else
        {
          const char *message = _("Only models in local folders can be the default model");

          adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (message));
        }
    }
  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->model_chooser);
}

static void
on_choose_model_clicked (StudioPreferencesWindow *self)
{
  g_autoptr(GtkFileFilter) models = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  g_autofree char *path = NULL;

  if (self->model_chooser != NULL || self->settings == NULL)
    return;
  path = g_settings_get_string (self->settings, "default-model");

  gtk_file_filter_set_name (models, _("U-Net models (*.safetensors)"));
  gtk_file_filter_add_pattern (models, "*.safetensors");
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");

  self->model_chooser = gtk_file_chooser_native_new (_("Choose the Default Model"),
                                                     GTK_WINDOW (self),
                                                     GTK_FILE_CHOOSER_ACTION_OPEN,
                                                     _("_Choose"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->model_chooser), TRUE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->model_chooser), models);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->model_chooser), all);
  gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (self->model_chooser), models);
  if (path[0] != '\0')
    {
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(GFile) folder = g_file_get_parent (file);

      if (folder != NULL && g_file_query_exists (folder, NULL))
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->model_chooser), folder, NULL);
    }
  g_signal_connect_object (self->model_chooser, "response",
                           G_CALLBACK (on_model_chooser_response), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->model_chooser));
}

static void
reset_model_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  StudioPreferencesWindow *self = STUDIO_PREFERENCES_WINDOW (widget);

  g_settings_reset (self->settings, "default-model");
}

/* Recent datasets */

static GtkWidget *
create_recent_row (gpointer item,
                   gpointer user_data)
{
  const char *path = gtk_string_object_get_string (GTK_STRING_OBJECT (item));
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *location = studio_display_path (path);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *forget = gtk_button_new_from_icon_name ("edit-delete-symbolic");

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), location);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 1);

  gtk_widget_set_valign (forget, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (forget, "flat");
  gtk_widget_set_tooltip_text (forget, _("Remove From the List"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (forget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Remove From the List"), -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (forget), "preferences.forget-dataset");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (forget), "s", path);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), forget);
  return row;
}

static void
update_recent_datasets (StudioPreferencesWindow *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preferences.clear-recent",
                                 studio_recent_datasets_get_latest (self->recent_datasets) != NULL);
}

static void
clear_recent_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  StudioPreferencesWindow *self = STUDIO_PREFERENCES_WINDOW (widget);

  studio_recent_datasets_clear (self->recent_datasets);
}

static void
forget_dataset_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  StudioPreferencesWindow *self = STUDIO_PREFERENCES_WINDOW (widget);

  studio_recent_datasets_remove (self->recent_datasets, g_variant_get_string (parameter, NULL));
}

/* Class colours: "class-colors" holds "#rrggbb" per class, "" (or nothing) for the default. */

static void
update_colours (StudioPreferencesWindow *self)
{
  g_auto(GStrv) custom = g_settings_get_strv (self->settings, "class-colors");
  guint n_custom = g_strv_length (custom);
  gboolean any_custom = FALSE;

  for (int k = 0; k < VOC_N_CLASSES; k++)
    {
      const char *value = (guint) k < n_custom ? custom[k] : "";
      gboolean is_custom = FALSE;
      GdkRGBA rgba;

      if (value[0] != '\0' && gdk_rgba_parse (&rgba, value))
        is_custom = TRUE;
      else
        {
          guint8 rgb[3];

          voc_colormap (k, rgb);
          rgba = (GdkRGBA) { rgb[0] / 255.0f, rgb[1] / 255.0f, rgb[2] / 255.0f, 1.0f };
        }
      gtk_color_chooser_set_rgba (GTK_COLOR_CHOOSER (self->colour_buttons[k]), &rgba);
      gtk_widget_set_visible (self->colour_reset_buttons[k], is_custom);
      any_custom |= is_custom;
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preferences.reset-colours", any_custom);
}

/* Writes one entry of "class-colors" (NULL for the default), keeping the others, and drops
 * trailing defaults so that an all-default list is the key's default, []. */
static void
set_class_colour (StudioPreferencesWindow *self,
                  int                      class_index,
                  const char              *value)
{
  g_auto(GStrv) custom = g_settings_get_strv (self->settings, "class-colors");
  guint n_custom = g_strv_length (custom);
  guint n = MAX (n_custom, (guint) class_index + 1);
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();

  for (guint i = 0; i < n; i++)
    {
      if (i == (guint) class_index)
        g_ptr_array_add (entries, (gpointer) (value != NULL ? value : ""));
      else
        g_ptr_array_add (entries, i < n_custom ? custom[i] : "");
    }
  while (entries->len > 0 && ((const char *) entries->pdata[entries->len - 1])[0] == '\0')
    g_ptr_array_set_size (entries, entries->len - 1);
  g_ptr_array_add (entries, NULL);
  g_settings_set_strv (self->settings, "class-colors", (const char *const *) entries->pdata);
}

static void
on_colour_set (GtkColorButton          *button,
               StudioPreferencesWindow *self)
{
  int class_index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "class-index"));
  g_autofree char *value = NULL;
  GdkRGBA rgba;

  gtk_color_chooser_get_rgba (GTK_COLOR_CHOOSER (button), &rgba);
  value = g_strdup_printf ("#%02x%02x%02x",
                           (guint) lround (CLAMP (rgba.red, 0.0f, 1.0f) * 255.0),
                           (guint) lround (CLAMP (rgba.green, 0.0f, 1.0f) * 255.0),
                           (guint) lround (CLAMP (rgba.blue, 0.0f, 1.0f) * 255.0));
  set_class_colour (self, class_index, value);
}

static void
reset_colour_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  StudioPreferencesWindow *self = STUDIO_PREFERENCES_WINDOW (widget);
  int class_index = g_variant_get_int32 (parameter);

  if (class_index >= 0 && class_index < VOC_N_CLASSES)
    set_class_colour (self, class_index, NULL);
}

static void
reset_colours_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  StudioPreferencesWindow *self = STUDIO_PREFERENCES_WINDOW (widget);

  g_settings_reset (self->settings, "class-colors");
}

static void
add_colour_rows (StudioPreferencesWindow *self)
{
  const char *const *names = voc_class_names_default ();

  for (int k = 0; k < VOC_N_CLASSES; k++)
    {
      g_autofree char *title = g_strdup_printf (_("Colour of “%s”"), names[k]);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *button = gtk_color_button_new ();
      GtkWidget *reset = gtk_button_new_from_icon_name ("edit-undo-symbolic");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), names[k]);

      gtk_widget_set_valign (reset, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (reset, "flat");
      gtk_widget_set_tooltip_text (reset, _("Reset to the PASCAL VOC Colour"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (reset), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Reset to the PASCAL VOC Colour"), -1);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (reset), "preferences.reset-colour");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (reset), "i", k);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), reset);

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_color_chooser_set_use_alpha (GTK_COLOR_CHOOSER (button), FALSE);
      gtk_color_button_set_title (GTK_COLOR_BUTTON (button), title);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                      -1);
      g_object_set_data (G_OBJECT (button), "class-index", GINT_TO_POINTER (k));
      g_signal_connect (button, "color-set", G_CALLBACK (on_colour_set), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), button);

      adw_preferences_group_add (self->colours_group, row);
      self->colour_buttons[k] = GTK_COLOR_BUTTON (button);
      self->colour_reset_buttons[k] = reset;
    }
}

/* Threads */

static void
update_threads_subtitle (StudioPreferencesWindow *self)
{
  guint n_cores = g_get_num_processors ();
  g_autofree char *subtitle = NULL;

  /* Translators: the subtitle of the Threads row; %u is the number of processor cores */
  subtitle = g_strdup_printf (ngettext ("For segmentation and training; "
                                        "0 uses the %u core of this computer",
                                        "For segmentation and training; "
                                        "0 uses all %u cores of this computer",
                                        n_cores),
                              n_cores);
  adw_action_row_set_subtitle (self->threads_row, subtitle);
}

static void
studio_preferences_window_constructed (GObject *object)
{
  StudioPreferencesWindow *self = STUDIO_PREFERENCES_WINDOW (object);

  G_OBJECT_CLASS (studio_preferences_window_parent_class)->constructed (object);

  /* Built without settings (a template test can do that), the window shows defaults and
   * changes nothing. */
  if (self->settings == NULL)
    {
      static const char *const actions[] = {
        "preferences.reset-model", "preferences.clear-recent", "preferences.forget-dataset",
        "preferences.reset-colour", "preferences.reset-colours",
      };

      for (gsize i = 0; i < G_N_ELEMENTS (actions); i++)
        gtk_widget_action_set_enabled (GTK_WIDGET (self), actions[i], FALSE);
      for (int k = 0; k < VOC_N_CLASSES; k++)
        gtk_widget_set_sensitive (GTK_WIDGET (self->colour_buttons[k]), FALSE);
      return;
    }

  g_settings_bind (self->settings, "overlay-opacity",
                   gtk_range_get_adjustment (GTK_RANGE (self->opacity_scale)), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "confidence-kind",
                                self->confidence_row, "selected", G_SETTINGS_BIND_DEFAULT,
                                confidence_kind_get_mapping, confidence_kind_set_mapping,
                                NULL, NULL);
  g_settings_bind (self->settings, "flip-averaging", self->flip_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "threads", self->threads_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (self->settings, "changed::default-model",
                           G_CALLBACK (update_model_row), self, G_CONNECT_SWAPPED);
  g_clear_object (&self->recent_datasets);
  self->recent_datasets = studio_recent_datasets_new (self->settings);
  gtk_list_box_bind_model (self->recent_list, G_LIST_MODEL (self->recent_datasets),
                           create_recent_row, NULL, NULL);
  g_signal_connect_object (self->recent_datasets, "items-changed",
                           G_CALLBACK (update_recent_datasets), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::class-colors",
                           G_CALLBACK (update_colours), self, G_CONNECT_SWAPPED);
  update_model_row (self);
  update_recent_datasets (self);
  update_colours (self);
}

static void
studio_preferences_window_dispose (GObject *object)
{
  StudioPreferencesWindow *self = STUDIO_PREFERENCES_WINDOW (object);

  /* the rows that the handlers update are about to go */
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (self->model_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->model_chooser));
  g_clear_object (&self->model_chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), STUDIO_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->recent_datasets);

  G_OBJECT_CLASS (studio_preferences_window_parent_class)->dispose (object);
}

static void
studio_preferences_window_finalize (GObject *object)
{
  StudioPreferencesWindow *self = STUDIO_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (studio_preferences_window_parent_class)->finalize (object);
}

static void
studio_preferences_window_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  StudioPreferencesWindow *self = STUDIO_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_preferences_window_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  StudioPreferencesWindow *self = STUDIO_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
studio_preferences_window_class_init (StudioPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = studio_preferences_window_constructed;
  object_class->dispose = studio_preferences_window_dispose;
  object_class->finalize = studio_preferences_window_finalize;
  object_class->get_property = studio_preferences_window_get_property;
  object_class->set_property = studio_preferences_window_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/unetstudio/UnetStudio/studio-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, StudioPreferencesWindow, opacity_scale);
  gtk_widget_class_bind_template_child (widget_class, StudioPreferencesWindow, confidence_row);
  gtk_widget_class_bind_template_child (widget_class, StudioPreferencesWindow, flip_switch);
  gtk_widget_class_bind_template_child (widget_class, StudioPreferencesWindow, threads_row);
  gtk_widget_class_bind_template_child (widget_class, StudioPreferencesWindow, threads_spin);
  gtk_widget_class_bind_template_child (widget_class, StudioPreferencesWindow, model_row);
  gtk_widget_class_bind_template_child (widget_class, StudioPreferencesWindow, recent_list);
  gtk_widget_class_bind_template_child (widget_class, StudioPreferencesWindow, colours_group);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_model_clicked);

  gtk_widget_class_install_action (widget_class, "preferences.reset-model", NULL,
                                   reset_model_action);
  gtk_widget_class_install_action (widget_class, "preferences.clear-recent", NULL,
                                   clear_recent_action);
  gtk_widget_class_install_action (widget_class, "preferences.forget-dataset", "s",
                                   forget_dataset_action);
  gtk_widget_class_install_action (widget_class, "preferences.reset-colour", "i",
                                   reset_colour_action);
  gtk_widget_class_install_action (widget_class, "preferences.reset-colours", NULL,
                                   reset_colours_action);
}

static void
studio_preferences_window_init (StudioPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_scale_set_format_value_func (self->opacity_scale, format_opacity, NULL, NULL);
  update_threads_subtitle (self);

  /* the recent datasets come with the settings */
  self->recent_datasets = studio_recent_datasets_new (NULL);
  add_colour_rows (self);
}
