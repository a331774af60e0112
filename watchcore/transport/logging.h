// Logging categories of the library. Enable with QT_LOGGING_RULES, e.g.
// QT_LOGGING_RULES="etcdscope.transport.debug=true".
#pragma once

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcTransport)
Q_DECLARE_LOGGING_CATEGORY(lcSession)
Q_DECLARE_LOGGING_CATEGORY(lcAdmin)
