// Evidence for docs/RELIABILITY.md. When the environment variable
// ETCDSCOPE_RELIABILITY_REPORT names a file, tests append one JSON object per
// checked scenario or case to it (JSON Lines); scripts/reliability.sh turns
// that file into the document. Without the variable nothing is written.
#pragma once

#include <QJsonObject>
#include <QString>

namespace etcdscope::testing {

// Appends `row` as one line. Rows carry at least "section" (e.g. "fault",
// "bad-input", "fuzz") and "case"; the renderer shows every other key.
void appendReportRow(const QJsonObject& row);

}  // namespace etcdscope::testing
