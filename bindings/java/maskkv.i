/* SWIG interface for the Java binding's raw layer, package org.maskkv.capi: every function,
 * struct and constant of include/maskkv.h, one to one, as static methods of class Capi. The
 * idiomatic layer (org.maskkv: Model, Session, Tokenizer, ...) is built on it.
 *
 * How C parameters appear in Java:
 *  - functions return the maskkv_status int; output parameters are arrays of length >= 1
 *    whose element 0 receives the value (long[] for handles and sizes, int[] for int32_t);
 *  - handles (maskkv_model*, ...) are Java longs holding the C pointer (0 = NULL);
 *  - id arrays are int[], text buffers byte[]; a null output array is the size query;
 *  - strings are exchanged as real UTF-8 (not JNI's modified UTF-8);
 *  - uint64_t is a Java long holding the same 64 bits;
 *  - chat messages are a String[] of alternating role and content.
 */
%module Capi

%include <stdint.i>
%include <typemaps.i>

%{
#include <stdlib.h>
#include <string.h>

static void maskkv_jni_throw(JNIEnv* env, const char* cls, const char* msg) {
  jclass c = (*env)->FindClass(env, cls);
  if (c) (*env)->ThrowNew(env, c, msg);
}

/* A Java byte[] holding NUL-terminated UTF-8 (made by Capi.utf8z) as a C string (malloc'd). */
static char* maskkv_jni_cstr(JNIEnv* env, jbyteArray bytes) {
  if (!bytes) return NULL;
  jsize n = (*env)->GetArrayLength(env, bytes);
  char* s = (char*)malloc((size_t)n + 1);
  if (!s) {
    maskkv_jni_throw(env, "java/lang/OutOfMemoryError", "maskkv: string copy");
    return NULL;
  }
  (*env)->GetByteArrayRegion(env, bytes, 0, n, (jbyte*)s);
  s[n] = '\0';
  return s;
}

static jbyteArray maskkv_jni_bytes(JNIEnv* env, const char* s) {
  if (!s) return NULL;
  jsize n = (jsize)strlen(s);
  jbyteArray b = (*env)->NewByteArray(env, n);
  if (b) (*env)->SetByteArrayRegion(env, b, 0, n, (const jbyte*)s);
  return b;
}

static int maskkv_jni_out_ok(JNIEnv* env, jarray a, const char* what) {
  if (!a || (*env)->GetArrayLength(env, a) < 1) {
    maskkv_jni_throw(env, "java/lang/IndexOutOfBoundsException", what);
    return 0;
  }
  return 1;
}
%}

%pragma(java) jniclasscode=%{
  static {
    String path = System.getProperty("maskkv.jni.path");
    if (path == null || path.isEmpty()) path = System.getenv("MASKKV_JNI_PATH");
    if (path != null && !path.isEmpty()) {
      System.load(path);
    } else {
      System.loadLibrary("maskkv_jni");
    }
  }
%}

%pragma(java) modulecode=%{
  /** A Java string as NUL-free UTF-8 bytes for a C string parameter (null stays null). */
  public static byte[] utf8z(String s) {
    return s == null ? null : s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
  static byte[][] utf8All(String[] s) {
    if (s == null) return null;
    byte[][] out = new byte[s.length][];
    for (int i = 0; i < s.length; ++i) out[i] = utf8z(s[i]);
    return out;
  }
  static String fromUtf8(byte[] b) {
    return b == null ? null : new String(b, java.nio.charset.StandardCharsets.UTF_8);
  }
%}

/* --- strings: real UTF-8 both ways ---------------------------------------------------------- */
%typemap(jni) const char* "jbyteArray"
%typemap(jtype) const char* "byte[]"
%typemap(jstype) const char* "String"
%typemap(javain) const char* "Capi.utf8z($javainput)"
%typemap(javaout) const char* { return Capi.fromUtf8($jnicall); }
%typemap(in) const char* {
  $1 = maskkv_jni_cstr(jenv, $input);
  if ($input && !$1) return $null;
}
%typemap(freearg) const char* { free((void*)$1); }
%typemap(out) const char* { $result = maskkv_jni_bytes(jenv, $1); }

/* --- handles as longs ------------------------------------------------------------------------ */
%define MASKKV_HANDLE(TYPE)
%typemap(jni) TYPE*, const TYPE* "jlong"
%typemap(jtype) TYPE*, const TYPE* "long"
%typemap(jstype) TYPE*, const TYPE* "long"
%typemap(javain) TYPE*, const TYPE* "$javainput"
%typemap(javaout) TYPE*, const TYPE* { return $jnicall; }
%typemap(in) TYPE*, const TYPE* { $1 = ($1_ltype)(intptr_t)$input; }
%typemap(out) TYPE*, const TYPE* { $result = (jlong)(intptr_t)$1; }

%typemap(jni) TYPE**, const TYPE** "jlongArray"
%typemap(jtype) TYPE**, const TYPE** "long[]"
%typemap(jstype) TYPE**, const TYPE** "long[]"
%typemap(javain) TYPE**, const TYPE** "$javainput"
%typemap(in) TYPE** (TYPE* handle_out = NULL) {
  if (!maskkv_jni_out_ok(jenv, $input, "handle output: pass a long[1]")) return $null;
  $1 = ($1_ltype)&handle_out;
}
%typemap(in) const TYPE** (const TYPE* handle_out = NULL) {
  if (!maskkv_jni_out_ok(jenv, $input, "handle output: pass a long[1]")) return $null;
  $1 = ($1_ltype)&handle_out;
}
%typemap(argout) TYPE**, const TYPE** {
  jlong v = (jlong)(intptr_t)*$1;
  (*jenv)->SetLongArrayRegion(jenv, $input, 0, 1, &v);
}
%enddef
MASKKV_HANDLE(maskkv_model)
MASKKV_HANDLE(maskkv_session)
MASKKV_HANDLE(maskkv_profile)
MASKKV_HANDLE(maskkv_calibrator)
MASKKV_HANDLE(maskkv_tokenizer)

/* --- 64-bit unsigned as long ----------------------------------------------------------------- */
%apply int64_t { uint64_t };

/* --- scalar outputs --------------------------------------------------------------------------- */
%apply int32_t* OUTPUT { int32_t* done, int32_t* policy };

%typemap(jni) size_t* "jlongArray"
%typemap(jtype) size_t* "long[]"
%typemap(jstype) size_t* "long[]"
%typemap(javain) size_t* "$javainput"
%typemap(in) size_t* (size_t size_out = 0) {
  if (!maskkv_jni_out_ok(jenv, $input, "size output: pass a long[1]")) return $null;
  $1 = &size_out;
}
%typemap(argout) size_t* {
  jlong v = (jlong)*$1;
  (*jenv)->SetLongArrayRegion(jenv, $input, 0, 1, &v);
}

/* --- id arrays in: int[] ---------------------------------------------------------------------- */
%typemap(jni) (const int32_t* prompt, size_t n_prompt) "jintArray"
%typemap(jtype) (const int32_t* prompt, size_t n_prompt) "int[]"
%typemap(jstype) (const int32_t* prompt, size_t n_prompt) "int[]"
%typemap(javain) (const int32_t* prompt, size_t n_prompt) "$javainput"
%typemap(in) (const int32_t* prompt, size_t n_prompt) (int32_t* ids_copy = NULL) {
  $1 = NULL;
  $2 = 0;
  if ($input) {
    jsize n = (*jenv)->GetArrayLength(jenv, $input);
    ids_copy = (int32_t*)malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (!ids_copy) {
      maskkv_jni_throw(jenv, "java/lang/OutOfMemoryError", "maskkv: id array copy");
      return $null;
    }
    (*jenv)->GetIntArrayRegion(jenv, $input, 0, n, (jint*)ids_copy);
    $1 = ids_copy;
    $2 = (size_t)n;
  }
}
%typemap(freearg) (const int32_t* prompt, size_t n_prompt) { free(ids_copy$argnum); }
%apply (const int32_t* prompt, size_t n_prompt) { (const int32_t* ids, size_t n_ids) };

/* --- id arrays out: int[] (null = size query) ------------------------------------------------- */
%typemap(jni) (int32_t* tokens, size_t capacity) "jintArray"
%typemap(jtype) (int32_t* tokens, size_t capacity) "int[]"
%typemap(jstype) (int32_t* tokens, size_t capacity) "int[]"
%typemap(javain) (int32_t* tokens, size_t capacity) "$javainput"
%typemap(in) (int32_t* tokens, size_t capacity) (int32_t* ids_buf = NULL) {
  $1 = NULL;
  $2 = 0;
  if ($input) {
    jsize n = (*jenv)->GetArrayLength(jenv, $input);
    ids_buf = (int32_t*)malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (!ids_buf) {
      maskkv_jni_throw(jenv, "java/lang/OutOfMemoryError", "maskkv: id buffer");
      return $null;
    }
    /* Start from the array's contents: positions the call does not write stay as they were. */
    (*jenv)->GetIntArrayRegion(jenv, $input, 0, n, (jint*)ids_buf);
    $1 = ids_buf;
    $2 = (size_t)n;
  }
}
%typemap(argout) (int32_t* tokens, size_t capacity) {
  /* Copied back on success only (on failure the call wrote nothing). */
  if ($1 && result == MASKKV_OK) {
    (*jenv)->SetIntArrayRegion(jenv, $input, 0, (jsize)$2, (const jint*)$1);
  }
}
%typemap(freearg) (int32_t* tokens, size_t capacity) { free($1); }
%apply (int32_t* tokens, size_t capacity) { (int32_t* ids, size_t capacity) };

/* --- text out: byte[] (null = size query) ----------------------------------------------------- */
%typemap(jni) (char* text, size_t capacity) "jbyteArray"
%typemap(jtype) (char* text, size_t capacity) "byte[]"
%typemap(jstype) (char* text, size_t capacity) "byte[]"
%typemap(javain) (char* text, size_t capacity) "$javainput"
%typemap(in) (char* text, size_t capacity) (char* text_buf = NULL) {
  $1 = NULL;
  $2 = 0;
  if ($input) {
    jsize n = (*jenv)->GetArrayLength(jenv, $input);
    text_buf = (char*)malloc((size_t)(n > 0 ? n : 1));
    if (!text_buf) {
      maskkv_jni_throw(jenv, "java/lang/OutOfMemoryError", "maskkv: text buffer");
      return $null;
    }
    (*jenv)->GetByteArrayRegion(jenv, $input, 0, n, (jbyte*)text_buf);
    $1 = text_buf;
    $2 = (size_t)n;
  }
}
%typemap(argout) (char* text, size_t capacity) {
  if ($1 && result == MASKKV_OK) {
    (*jenv)->SetByteArrayRegion(jenv, $input, 0, (jsize)$2, (const jbyte*)$1);
  }
}
%typemap(freearg) (char* text, size_t capacity) { free($1); }

/* --- text in: byte[] of UTF-8 ----------------------------------------------------------------- */
%typemap(jni) (const char* text, size_t text_len) "jbyteArray"
%typemap(jtype) (const char* text, size_t text_len) "byte[]"
%typemap(jstype) (const char* text, size_t text_len) "byte[]"
%typemap(javain) (const char* text, size_t text_len) "$javainput"
%typemap(in) (const char* text, size_t text_len) (char* text_copy = NULL) {
  $1 = NULL;
  $2 = 0;
  if ($input) {
    jsize n = (*jenv)->GetArrayLength(jenv, $input);
    text_copy = (char*)malloc((size_t)(n > 0 ? n : 1));
    if (!text_copy) {
      maskkv_jni_throw(jenv, "java/lang/OutOfMemoryError", "maskkv: text copy");
      return $null;
    }
    (*jenv)->GetByteArrayRegion(jenv, $input, 0, n, (jbyte*)text_copy);
    $1 = text_copy;
    $2 = (size_t)n;
  }
}
%typemap(freearg) (const char* text, size_t text_len) { free(text_copy$argnum); }

/* --- chat messages: String[] of alternating role, content ------------------------------------ */
%typemap(jni) (const maskkv_chat_message* messages, size_t n_messages) "jobjectArray"
%typemap(jtype) (const maskkv_chat_message* messages, size_t n_messages) "byte[][]"
%typemap(jstype) (const maskkv_chat_message* messages, size_t n_messages) "String[]"
%typemap(javain) (const maskkv_chat_message* messages, size_t n_messages) "Capi.utf8All($javainput)"
%typemap(in) (const maskkv_chat_message* messages, size_t n_messages)
    (maskkv_chat_message* msgs = NULL, size_t count = 0) {
  jsize n = $input ? (*jenv)->GetArrayLength(jenv, $input) : 0;
  if (n % 2 != 0) {
    maskkv_jni_throw(jenv, "java/lang/IllegalArgumentException",
                     "messages: expected alternating role and content strings");
    return $null;
  }
  count = (size_t)(n / 2);
  msgs = (maskkv_chat_message*)calloc(count > 0 ? count : 1, sizeof(maskkv_chat_message));
  if (!msgs) {
    maskkv_jni_throw(jenv, "java/lang/OutOfMemoryError", "maskkv: messages");
    return $null;
  }
  for (jsize i = 0; i < n; ++i) {
    jbyteArray b = (jbyteArray)(*jenv)->GetObjectArrayElement(jenv, $input, i);
    if (!b) {
      maskkv_jni_throw(jenv, "java/lang/NullPointerException", "messages: null string");
      break;
    }
    char* s = maskkv_jni_cstr(jenv, b);
    (*jenv)->DeleteLocalRef(jenv, b);
    if (!s) break;
    if (i % 2 == 0) msgs[i / 2].role = s; else msgs[i / 2].content = s;
  }
  $1 = msgs;
  $2 = count;
  if ((*jenv)->ExceptionCheck(jenv)) {
    for (size_t k = 0; k < count; ++k) {
      free((void*)msgs[k].role);
      free((void*)msgs[k].content);
    }
    free(msgs);
    return $null;
  }
}
%typemap(freearg) (const maskkv_chat_message* messages, size_t n_messages) {
  for (size_t k = 0; k < count$argnum; ++k) {
    free((void*)msgs$argnum[k].role);
    free((void*)msgs$argnum[k].content);
  }
  free(msgs$argnum);
}

/* Messages travel as strings (above); a settable struct of borrowed C strings has no safe use
 * from Java. */
%ignore maskkv_chat_message;

%include "../common.i"
