// The key browser: the key space as a lazy tree (KeyTreeModel), searched by
// prefix, newest or as of an older revision; the selected key's value and
// metadata below it (text, pretty JSON, hex), with steps back through the
// key's earlier versions; "Watch this" for keys and folders. Every read goes
// through the AdminClient's thread.
#pragma once

#include "admin/admin_client.h"

#include <QWidget>

#include <functional>
#include <map>
#include <optional>
#include <vector>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTreeView;

namespace etcdscope::ui {

class DetailPane;
class KeyTreeModel;

class KeyBrowser : public QWidget {
    Q_OBJECT

public:
    explicit KeyBrowser(AdminClient* client, QWidget* parent = nullptr);

    KeyTreeModel* model() const { return model_; }
    QTreeView* view() const { return view_; }
    // What the Go button does: browse keys under `prefix` as of `revision` (0: newest).
    void browse(const QByteArray& prefix, qint64 revision);
    // Selects the key at `index` and reads its value (as a click does).
    void selectKey(const QModelIndex& index);

    // The newest store revision the monitor knows of (from its watches):
    // the status says when the tree shown is older than that.
    void setStoreRevision(qint64 revision);

    // Editing is off until switched on, per connection (the monitor switches
    // it off whenever it connects).
    void setWritable(bool writable);
    bool writable() const;
    // Puts `value` at `key` after a confirmation that shows the change; the
    // outcome comes as written(). Returns the refusal when read-only. When
    // the key's newest value was read here (it is selected), the put is
    // made only if the key has not changed since; `Create` only if the key
    // does not exist.
    enum class PutMode { Replace, Create };
    QString putValue(const QByteArray& key, const QByteArray& value, PutMode mode = PutMode::Replace);
    // Deletes `key`, or every key under it when `prefix`, after a
    // confirmation that says how many keys and names some.
    QString deleteKeys(const QByteArray& keyOrPrefix, bool prefix);
    // How confirmations are asked (a message box by default; tests answer).
    using Confirm = std::function<bool(const QString& title, const QString& text)>;
    void setConfirm(Confirm confirm) { confirm_ = std::move(confirm); }
    // How a new value is typed (a text dialog by default; tests answer).
    using AskValue = std::function<std::optional<QByteArray>(const QByteArray& key, const QByteArray& current)>;
    void setAskValue(AskValue ask) { askValue_ = std::move(ask); }

protected:
    // Shown again (the Keys tab chosen) after the store moved on: the newest
    // tree is read again, so the tab opens on today's keys.
    void showEvent(QShowEvent* event) override;

signals:
    // "Watch this": a key, or a folder's prefix.
    void watchRequested(const QByteArray& keyOrPrefix, bool isPrefix);
    void writableChanged(bool writable);
    // A write finished (or was cancelled): one sentence saying what happened.
    void written(const QString& sentence);

private:
    void readValue(const QByteArray& key, qint64 revision);
    void onRangeDone(quint64 id, const RangeResultPtr& result);
    void fetchVisibleTails();
    void updateStatus();
    void showMenu(const QPoint& at);
    void onWriteDone(quint64 id, const WriteResultPtr& result);
    void confirmDelete(const QByteArray& keyOrPrefix, bool prefix, const RangeResult& sample);
    void editSelected();
    void updateEditButtons();

    AdminClient* client_;
    KeyTreeModel* model_;
    QLineEdit* prefixEdit_;
    QLineEdit* revisionEdit_;
    QLabel* status_;
    QTreeView* view_;
    DetailPane* detail_;
    QPushButton* olderButton_;
    QPushButton* newerButton_;
    QCheckBox* writableCheck_;
    QPushButton* newButton_;
    QPushButton* editButton_;
    QPushButton* deleteButton_;
    Confirm confirm_;
    AskValue askValue_;
    QByteArray shownValue_;
    // Deletes waiting for their sample of keys, and writes in flight.
    struct PendingDelete {
        QByteArray keyOrPrefix;
        bool prefix = false;
    };
    std::map<quint64, PendingDelete> deleteSamples_;
    std::map<quint64, QString> writes_;  // request -> what it does, for the sentence
    QString lastError_;

    // The value on show: which read it came from, and the versions stepped
    // through (revisions read at, newest first) for "newer".
    quint64 valueRequest_ = 0;
    quint64 previousRequest_ = 0;  // the shown version's predecessor, for the Diff tab
    QByteArray shownKey_;
    qint64 shownModRevision_ = 0;
    qint64 storeRevision_ = 0;  // see setStoreRevision
    // The selected key's newest value, once read: what a put replaces, and
    // the mod revision it must still have (0: the key did not exist).
    bool newestKnown_ = false;
    QByteArray newestValue_;
    qint64 newestModRevision_ = 0;
    std::vector<qint64> versionTrail_;
};

// What a put changes, for its confirmation: the removed and added lines
// (of formatted JSON when both values are JSON), at most `maxLines` of them;
// empty when either value is binary or too long to compare.
QString changeSummary(const QByteArray& before, const QByteArray& after, int maxLines = 12);

}  // namespace etcdscope::ui
