// The README's error table, printed from the tables the gateway uses, so the two
// cannot drift apart (`wxgate --print_error_table`; a test compares it with the README).
#ifndef WXGATE_SERVICE_ERRORS_ERROR_TABLE_DOC_H_
#define WXGATE_SERVICE_ERRORS_ERROR_TABLE_DOC_H_

#include <string>

namespace wxgate {

// Markdown: one table of documented errcodes, one of errcode ranges.
std::string ErrorTableMarkdown();

}  // namespace wxgate

#endif  // WXGATE_SERVICE_ERRORS_ERROR_TABLE_DOC_H_
