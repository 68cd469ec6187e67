// read_ahead.hpp — a RecordReader that parses on a second thread (internal).
//
// Splitting CSV lines or parsing JSON objects is a third to a half of the work
// of an events run; the rest (validating, interning, storing) happens in the
// caller. The wrapper lets a second thread run the wrapped reader ahead, copying
// its records into batches, while the caller consumes them: same records, same
// errors, same order, same `can_skip_last_error`, on two cores instead of one.
#pragma once

#include <memory>

#include "kpi/io/reader.hpp"

namespace kpi::io {

/// Wraps `inner`. The thread starts at the first next() (after bind()); after an
/// Error it waits until next() is called again, so nothing is read past an error
/// the caller stops at. Views in a Record stay valid until the next call to next().
/// With a `preparer`, the thread also prepares records (Record::prepared) while
/// the caller is the slower side, and next() prefetches for the record a few
/// places ahead.
std::unique_ptr<RecordReader> read_ahead(std::unique_ptr<RecordReader> inner,
                                         const RecordPreparer* preparer = nullptr);

}  // namespace kpi::io
