// The key browser: the key space as a lazy tree (KeyTreeModel), searched by
// prefix, newest or as of an older revision; the selected key's value and
// metadata below it (text, pretty JSON, hex), with steps back through the
// key's earlier versions; "Watch this" for keys and folders. Every read goes
// through the KvClient's thread.
#pragma once

#include "kv_client.h"

#include <QWidget>

#include <vector>

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
    explicit KeyBrowser(KvClient* client, QWidget* parent = nullptr);

    KeyTreeModel* model() const { return model_; }
    QTreeView* view() const { return view_; }
    // What the Go button does: browse keys under `prefix` as of `revision` (0: newest).
    void browse(const QByteArray& prefix, qint64 revision);
    // Selects the key at `index` and reads its value (as a click does).
    void selectKey(const QModelIndex& index);

signals:
    // "Watch this": a key, or a folder's prefix.
    void watchRequested(const QByteArray& keyOrPrefix, bool isPrefix);

private:
    void readValue(const QByteArray& key, qint64 revision);
    void onRangeDone(quint64 id, const RangeResultPtr& result);
    void fetchVisibleTails();
    void updateStatus();
    void showMenu(const QPoint& at);

    KvClient* client_;
    KeyTreeModel* model_;
    QLineEdit* prefixEdit_;
    QLineEdit* revisionEdit_;
    QLabel* status_;
    QTreeView* view_;
    DetailPane* detail_;
    QPushButton* olderButton_;
    QPushButton* newerButton_;
    QString lastError_;

    // The value on show: which read it came from, and the versions stepped
    // through (revisions read at, newest first) for "newer".
    quint64 valueRequest_ = 0;
    QByteArray shownKey_;
    qint64 shownModRevision_ = 0;
    std::vector<qint64> versionTrail_;
};

}  // namespace etcdscope::ui
