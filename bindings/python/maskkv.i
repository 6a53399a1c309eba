/* SWIG interface for the Python extension maskkv.capi: every function, struct and constant of
 * include/maskkv.h, one to one. The Pythonic layer (maskkv/__init__.py) is built on it.
 *
 * How C parameters appear in Python:
 *  - a function returning maskkv_status returns it first; output parameters follow, so
 *    `st, model = maskkv_model_load(path, None)`;
 *  - handle outputs (maskkv_model** ...) are returned, not passed;
 *  - int32_t/size_t outputs (done, policy, n_tokens, ...) are returned;
 *  - an input id array (pointer + count) is any buffer of int32 (numpy int32, array('i')) or any
 *    sequence of integers;
 *  - an output array (pointer + capacity) is None (size query) or a writable buffer: int32 for
 *    ids, bytes (bytearray, numpy uint8) for text; the size needed is returned;
 *  - text input (pointer + length) is str (sent as UTF-8) or any bytes-like object;
 *  - chat messages are a sequence of (role, content) pairs of str.
 */
%module(package="maskkv") capi

%{
#define PY_SSIZE_T_CLEAN
%}

%include <stdint.i>
%include <typemaps.i>

%{
/* 1 when a buffer's format describes a native 32-bit signed integer. */
static int maskkv_py_format_is_i32(const Py_buffer* v) {
  const char* f = v->format ? v->format : "B";
  if (*f == '@' || *f == '=' || *f == '<') ++f;
  return v->itemsize == 4 && (f[0] == 'i' || f[0] == 'l') && f[1] == '\0';
}

/* Input ids: a C-contiguous int32 buffer is used in place, anything else is read as a sequence
 * of integers into *owned (freed by the caller). Returns 0 with a Python error set on failure. */
static int maskkv_py_ids_in(PyObject* obj, Py_buffer* view, int* have_view, int32_t** owned,
                            const int32_t** data, size_t* n) {
  *data = NULL;
  *n = 0;
  if (obj == Py_None) return 1;
  if (PyObject_CheckBuffer(obj) && !PyUnicode_Check(obj) && !PyBytes_Check(obj)) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) == 0) {
      if (maskkv_py_format_is_i32(view)) {
        *have_view = 1;
        *data = (const int32_t*)view->buf;
        *n = (size_t)(view->len / 4);
        return 1;
      }
      PyBuffer_Release(view);
    } else {
      PyErr_Clear();
    }
  }
  PyObject* seq = PySequence_Fast(obj, "expected a sequence of integer token ids");
  if (!seq) return 0;
  Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
  *owned = (int32_t*)malloc(sizeof(int32_t) * (size_t)(len > 0 ? len : 1));
  if (!*owned) {
    Py_DECREF(seq);
    PyErr_NoMemory();
    return 0;
  }
  for (Py_ssize_t i = 0; i < len; ++i) {
    PyObject* idx = PyNumber_Index(PySequence_Fast_GET_ITEM(seq, i));
    if (!idx) {
      Py_DECREF(seq);
      return 0;
    }
    long long v = PyLong_AsLongLong(idx);
    Py_DECREF(idx);
    if (v == -1 && PyErr_Occurred()) {
      Py_DECREF(seq);
      return 0;
    }
    if (v < INT32_MIN || v > INT32_MAX) {
      Py_DECREF(seq);
      PyErr_Format(PyExc_OverflowError, "token id %lld at index %zd does not fit in int32", v, i);
      return 0;
    }
    (*owned)[i] = (int32_t)v;
  }
  Py_DECREF(seq);
  *data = *owned;
  *n = (size_t)len;
  return 1;
}

/* Output buffer: None, or a writable C-contiguous buffer whose items are `itemsize` bytes
 * (4: int32 ids; 1: text bytes). */
static int maskkv_py_buffer_out(PyObject* obj, Py_ssize_t itemsize, Py_buffer* view,
                                int* have_view, void** data, size_t* capacity) {
  *data = NULL;
  *capacity = 0;
  if (obj == Py_None) return 1;
  if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0)
    return 0;
  *have_view = 1;
  if (itemsize == 4 ? !maskkv_py_format_is_i32(view) : view->itemsize != 1) {
    PyErr_SetString(PyExc_TypeError, itemsize == 4
                                         ? "expected a writable int32 buffer (numpy.int32) or None"
                                         : "expected a writable byte buffer (bytearray) or None");
    return 0;
  }
  *data = view->buf;
  *capacity = (size_t)(view->len / itemsize);
  return 1;
}
%}

/* --- handle outputs ------------------------------------------------------------------------ */
%define MASKKV_HANDLE_OUT(TYPE)
%typemap(in, numinputs=0) TYPE** (TYPE* tmp = NULL) { $1 = ($1_ltype)&tmp; }
%typemap(argout) TYPE** {
  $result = SWIG_Python_AppendOutput($result, SWIG_NewPointerObj((void*)*$1, $*1_descriptor, 0));
}
%enddef
MASKKV_HANDLE_OUT(maskkv_model)
MASKKV_HANDLE_OUT(maskkv_session)
MASKKV_HANDLE_OUT(maskkv_profile)
MASKKV_HANDLE_OUT(maskkv_calibrator)
MASKKV_HANDLE_OUT(maskkv_tokenizer)
MASKKV_HANDLE_OUT(const maskkv_tokenizer)

/* --- scalar outputs ------------------------------------------------------------------------ */
%apply int32_t* OUTPUT { int32_t* done, int32_t* policy };

/* --- id arrays in -------------------------------------------------------------------------- */
%typemap(in) (const int32_t* prompt, size_t n_prompt)
    (Py_buffer view, int have_view = 0, int32_t* owned = NULL) {
  if (!maskkv_py_ids_in($input, &view, &have_view, &owned, (const int32_t**)&$1, &$2)) SWIG_fail;
}
%typemap(freearg) (const int32_t* prompt, size_t n_prompt) {
  if (have_view$argnum) PyBuffer_Release(&view$argnum);
  free(owned$argnum);
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_POINTER) (const int32_t* prompt, size_t n_prompt) {
  $1 = 1;
}
%apply (const int32_t* prompt, size_t n_prompt) { (const int32_t* ids, size_t n_ids) };

/* --- arrays out (size query convention) ---------------------------------------------------- */
%typemap(in) (int32_t* tokens, size_t capacity, size_t* n_tokens)
    (Py_buffer view, int have_view = 0, size_t needed = 0) {
  if (!maskkv_py_buffer_out($input, 4, &view, &have_view, (void**)&$1, &$2)) SWIG_fail;
  $3 = &needed;
}
%typemap(argout) (int32_t* tokens, size_t capacity, size_t* n_tokens) {
  $result = SWIG_Python_AppendOutput($result, PyLong_FromSize_t(*$3));
}
%typemap(freearg) (int32_t* tokens, size_t capacity, size_t* n_tokens) {
  if (have_view$argnum) PyBuffer_Release(&view$argnum);
}
%apply (int32_t* tokens, size_t capacity, size_t* n_tokens) {
  (int32_t* ids, size_t capacity, size_t* n_ids)
};

%typemap(in) (char* text, size_t capacity, size_t* text_len)
    (Py_buffer view, int have_view = 0, size_t needed = 0) {
  if (!maskkv_py_buffer_out($input, 1, &view, &have_view, (void**)&$1, &$2)) SWIG_fail;
  $3 = &needed;
}
%typemap(argout) (char* text, size_t capacity, size_t* text_len) {
  $result = SWIG_Python_AppendOutput($result, PyLong_FromSize_t(*$3));
}
%typemap(freearg) (char* text, size_t capacity, size_t* text_len) {
  if (have_view$argnum) PyBuffer_Release(&view$argnum);
}

/* --- text in ------------------------------------------------------------------------------- */
%typemap(in) (const char* text, size_t text_len) (Py_buffer view, int have_view = 0) {
  if (PyUnicode_Check($input)) {
    Py_ssize_t len = 0;
    $1 = (char*)PyUnicode_AsUTF8AndSize($input, &len);
    if (!$1) SWIG_fail;
    $2 = (size_t)len;
  } else {
    if (PyObject_GetBuffer($input, &view, PyBUF_C_CONTIGUOUS) != 0) SWIG_fail;
    have_view = 1;
    $1 = (char*)view.buf;
    $2 = (size_t)view.len;
  }
}
%typemap(freearg) (const char* text, size_t text_len) {
  if (have_view$argnum) PyBuffer_Release(&view$argnum);
}

/* --- chat messages ------------------------------------------------------------------------- */
%typemap(in) (const maskkv_chat_message* messages, size_t n_messages)
    (PyObject* seq = NULL, maskkv_chat_message* msgs = NULL) {
  seq = PySequence_Fast($input, "expected a sequence of (role, content) pairs");
  if (!seq) SWIG_fail;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  msgs = (maskkv_chat_message*)calloc((size_t)(n > 0 ? n : 1), sizeof(maskkv_chat_message));
  if (!msgs) {
    PyErr_NoMemory();
    SWIG_fail;
  }
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* item = PySequence_Fast_GET_ITEM(seq, i);
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(item, 0)) || !PyUnicode_Check(PyTuple_GET_ITEM(item, 1))) {
      PyErr_Format(PyExc_TypeError, "message %zd: expected a (role, content) tuple of str", i);
      SWIG_fail;
    }
    msgs[i].role = PyUnicode_AsUTF8(PyTuple_GET_ITEM(item, 0));
    msgs[i].content = PyUnicode_AsUTF8(PyTuple_GET_ITEM(item, 1));
    if (!msgs[i].role || !msgs[i].content) SWIG_fail;
  }
  $1 = msgs;
  $2 = (size_t)n;
}
%typemap(freearg) (const maskkv_chat_message* messages, size_t n_messages) {
  free(msgs$argnum);
  Py_XDECREF(seq$argnum);
}

/* Messages travel as (role, content) tuples (above); a settable struct of borrowed strings has
 * no safe use from Python. */
%ignore maskkv_chat_message;

%include "../common.i"
