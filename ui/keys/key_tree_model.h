// The key space as a lazy tree: keys grouped by a separator ("/" by
// default) into folders, each folder's children loaded page by page with
// keys-only ranges when the view asks (canFetchMore / fetchMore), newest
// revision or "as of" an older one. A page holds at most pageSize keys; a
// folder met in a page is added once and the next page starts after all of
// its keys, so a folder of 100,000 keys costs one row, not 100,000 reads.
#pragma once

#include "admin/admin_client.h"

#include <QAbstractItemModel>
#include <QHash>

#include <memory>
#include <vector>

namespace etcdscope::ui {

class KeyTreeModel : public QAbstractItemModel {
    Q_OBJECT

public:
    // KeysColumn: how many keys a folder holds (under /registry/: objects
    // per resource, per namespace), counted by etcd.
    enum Column { NameColumn, ModRevisionColumn, CreateRevisionColumn, VersionColumn, LeaseColumn, KeysColumn, ColumnCount };
    enum Role {
        KeyRole = Qt::UserRole + 1,  // QByteArray: the full key, or the folder's prefix
        IsFolderRole,                // bool
    };
    static constexpr int kDefaultPageSize = 1000;

    explicit KeyTreeModel(AdminClient* client, QObject* parent = nullptr);

    // What the tree shows: keys under `prefix` (empty: all), as of
    // `revision` (0: the newest). Starts over.
    void setRoot(const QByteArray& prefix, qint64 revision = 0);
    void setSeparator(char separator);
    void setPageSize(int keys) { pageSize_ = keys; }
    QByteArray rootPrefix() const { return root_->prefix; }
    qint64 revision() const { return revision_; }
    // The revision the newest pages were read at (the store's revision then).
    qint64 readRevision() const { return readRevision_; }
    // Pages asked for and not yet answered, in all and for one folder.
    int pendingPages() const { return int(pending_.size()); }
    bool isLoading(const QModelIndex& parent) const { return nodeOf(parent)->fetching; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    bool hasChildren(const QModelIndex& parent = {}) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    // A page arrived and its rows are in (possibly none).
    void pageLoaded(const QModelIndex& parent, int rows);
    // A page failed: one sentence for the person (compaction, connection).
    void loadFailed(const QString& sentence);

private:
    struct Node {
        Node* parent = nullptr;
        QByteArray prefix;     // folder: its prefix, ending with the separator; key: the key
        bool folder = true;
        KeyValue meta;         // a key's metadata (keys-only: no value)
        std::vector<std::unique_ptr<Node>> children;
        QByteArray nextStart;  // folder: where the next page starts; empty before the first
        bool complete = false; // folder: every child is in
        bool fetching = false; // folder: a page is on its way
        int row = 0;           // index in the parent's children
        qint64 keys = -1;      // folder: keys under it, once etcd counted them
    };

    Node* nodeOf(const QModelIndex& index) const;
    QModelIndex indexOf(Node* node) const;
    void onRangeDone(quint64 id, const RangeResultPtr& result);
    void addPage(Node* folder, const RangeResult& result);
    void countKeys(Node* folder);

    AdminClient* client_;
    std::unique_ptr<Node> root_;
    char separator_ = '/';
    int pageSize_ = kDefaultPageSize;
    qint64 revision_ = 0;
    qint64 readRevision_ = 0;
    QHash<quint64, Node*> pending_;  // request id -> folder; cleared when the tree starts over
    QHash<quint64, Node*> counting_; // the same for the folders' key counts
};

}  // namespace etcdscope::ui
