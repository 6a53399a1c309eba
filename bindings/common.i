/* SWIG declarations shared by the Python and Java interfaces (bindings/python/maskkv.i,
 * bindings/java/maskkv.i). Each of them defines its typemaps first, then includes this file,
 * which wraps every declaration of include/maskkv.h. */

%{
#include <stdlib.h>
#include "maskkv.h"
%}

/* The structs the caller fills in come out of their constructors ready to use: option structs
 * hold maskkv_*_default_options(), result structs carry their size. */
%extend maskkv_model_options {
  maskkv_model_options() {
    maskkv_model_options* o = (maskkv_model_options*)calloc(1, sizeof(*o));
    if (o) maskkv_model_default_options(o);
    return o;
  }
  ~maskkv_model_options() { free($self); }
}
%extend maskkv_generate_options {
  maskkv_generate_options() {
    maskkv_generate_options* o = (maskkv_generate_options*)calloc(1, sizeof(*o));
    if (o) maskkv_generate_default_options(o);
    return o;
  }
  ~maskkv_generate_options() { free($self); }
}
/* The chat options own a copy of the template name set through them (freed on reassignment and
 * with the struct). */
%{
#include <string.h>
%}
%typemap(memberin) const char* template_name {
  free((char*)$1);
  $1 = $input ? strdup($input) : NULL;
}
%extend maskkv_chat_options {
  maskkv_chat_options() {
    maskkv_chat_options* o = (maskkv_chat_options*)calloc(1, sizeof(*o));
    if (o) maskkv_chat_default_options(o);
    return o;
  }
  ~maskkv_chat_options() {
    free((char*)$self->template_name);
    free($self);
  }
}
%extend maskkv_model_info {
  maskkv_model_info() {
    maskkv_model_info* o = (maskkv_model_info*)calloc(1, sizeof(*o));
    if (o) o->size = (uint32_t)sizeof(*o);
    return o;
  }
  ~maskkv_model_info() { free($self); }
}
/* The option table's rows are filled by maskkv_generate_option_info; their strings are the
 * library's. */
%immutable maskkv_option_info::name;
%immutable maskkv_option_info::choices;
%immutable maskkv_option_info::help;
%extend maskkv_option_info {
  maskkv_option_info() {
    maskkv_option_info* o = (maskkv_option_info*)calloc(1, sizeof(*o));
    if (o) o->size = (uint32_t)sizeof(*o);
    return o;
  }
  ~maskkv_option_info() { free($self); }
}
%extend maskkv_stats {
  maskkv_stats() {
    maskkv_stats* o = (maskkv_stats*)calloc(1, sizeof(*o));
    if (o) o->size = (uint32_t)sizeof(*o);
    return o;
  }
  ~maskkv_stats() { free($self); }
}

/* The header marks exports with __attribute__((visibility(...))), which SWIG cannot parse. */
#define __attribute__(x)
%include "maskkv.h"
