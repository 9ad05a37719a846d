#ifndef ROOST_CCLD2_H
#define ROOST_CCLD2_H

#ifdef __cplusplus
extern "C" {
#endif

/// Detects the language of `length` bytes of UTF-8 plain text with CLD2 (Compact Language Detector 2).
/// Writes the language's code (e.g. "en", "es", "zh", "zh-Hant"; "un" when unknown) into `code` (NUL-terminated,
/// at most `capacity` bytes), the percent of the text's letters in that language into `percent`, and whether
/// CLD2 calls the result reliable into `reliable`. Returns the number of text bytes CLD2 scored, or -1 when the
/// input is not valid UTF-8.
int roost_cld2_detect(const char *text, int length, char *code, int capacity, int *percent, int *reliable);

#ifdef __cplusplus
}
#endif

#endif
