#include "report.h"

#include <QFile>
#include <QJsonDocument>

namespace etcdscope::testing {

void appendReportRow(const QJsonObject& row)
{
    const QByteArray path = qgetenv("ETCDSCOPE_RELIABILITY_REPORT");
    if (path.isEmpty())
        return;
    QFile file(QString::fromLocal8Bit(path));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append))
        qFatal("cannot append to the reliability report %s", path.constData());
    file.write(QJsonDocument(row).toJson(QJsonDocument::Compact) + '\n');
}

}  // namespace etcdscope::testing
