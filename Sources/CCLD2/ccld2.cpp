// A C entry point to CLD2's C++ API, so Swift can call it (RoostTwitter's TweetLanguage).
#include "ccld2.h"

#include <cstdio>  // compact_lang_det.h uses FILE without including it
#include <cld2/public/compact_lang_det.h>
#include <cstring>

namespace CLD2 {
const char *LanguageCode(Language lang);
}

extern "C" int roost_cld2_detect(const char *text, int length, char *code, int capacity, int *percent, int *reliable) {
    CLD2::Language language3[3];
    int percent3[3];
    double score3[3];
    int text_bytes = 0;
    bool is_reliable = false;
    int valid_prefix_bytes = 0;
    CLD2::Language language = CLD2::ExtDetectLanguageSummaryCheckUTF8(
        text, length, true, nullptr, 0, language3, percent3, score3, nullptr, &text_bytes, &is_reliable,
        &valid_prefix_bytes);
    if (valid_prefix_bytes < length) return -1;
    const char *name = CLD2::LanguageCode(language);
    if (capacity > 0) {
        std::strncpy(code, name ? name : "un", static_cast<size_t>(capacity - 1));
        code[capacity - 1] = '\0';
    }
    *percent = percent3[0];
    *reliable = is_reliable ? 1 : 0;
    return text_bytes;
}
