// The selected event in full: metadata, and its value as text, pretty JSON
// and block YAML (when they parse), hex, and a line diff against the previous value.
#pragma once

#include "decode/value_diff.h"
#include "format/event_record.h"

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QTabWidget;
class QTextEdit;

namespace etcdscope::ui {

// For a GAP whose next revision etcd may have served without its DELETEs
// (EventRecord::gapMayLackDeletesAt): one sentence that says so; else empty.
QString gapMayLackDeletesSentence(const EventRecord& gap);

class DetailPane : public QWidget {
    Q_OBJECT

public:
    explicit DetailPane(QWidget* parent = nullptr);
    void showRecord(const EventRecord& record, const QString& watchLabel);
    // A key as the key browser read it, as of `asOfRevision` (0: the newest).
    void showKeyValue(const QByteArray& key, const QByteArray& value, qint64 modRevision, qint64 createRevision,
                      qint64 version, qint64 lease, qint64 asOfRevision);
    // The Diff tab for the key shown: `previous` (its version before) against `value`.
    void showPreviousVersion(const QByteArray& key, const QByteArray& previous, const QByteArray& value);
    void showDiffMessage(const QString& sentence);
    // A sentence instead of a value (the key is gone, the revision compacted).
    void showMessage(const QString& sentence);
    void clear();

private:
    // The value as indented JSON: a Kubernetes object by its schema, or a JSON document.
    static std::optional<QString> readableJson(const QByteArray& value, const QByteArray& key);
    // Fills the text, JSON, YAML and hex tabs; returns the pretty JSON, if any.
    // `key`: where the value is stored (an encrypted Kubernetes value needs it).
    std::optional<QString> showValue(const QByteArray& value, const QByteArray& key = {});
    void clearTabs();
    void showDiff(const QByteArray& key, const QByteArray& previous, const QByteArray& value,
                  const std::optional<QString>& json);

    QLabel* header_;
    QTabWidget* tabs_;
    QPlainTextEdit* text_;
    QPlainTextEdit* json_;
    QPlainTextEdit* yaml_;
    QPlainTextEdit* hex_;
    QTextEdit* diff_;
};

}  // namespace etcdscope::ui
