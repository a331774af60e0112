// The watch tree: each watch a root; under it the keys it has seen, grouped
// by '/' segments, with value preview, version, mod revision and event
// count; deleted keys are kept and marked. Updated once per delivered batch.
#pragma once

#include "engine/engine_types.h"
#include "format/event_record.h"

#include <QAbstractItemModel>

#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

namespace etcdscope::ui {

class WatchTreeModel : public QAbstractItemModel {
    Q_OBJECT

public:
    enum Column { NameColumn, ValueColumn, VersionColumn, RevisionColumn, EventsColumn, ColumnCount };
    enum Role {
        WatchRole = Qt::UserRole + 1,  // qint64: the watch handle of any row
        KeyRole,                       // QByteArray: the full key of a key row (empty for groups)
        PrefixRole,                    // QByteArray: the key prefix a row stands for
        IsWatchRole,                   // bool: a root row
    };

    explicit WatchTreeModel(QObject* parent = nullptr);
    ~WatchTreeModel() override;

    void addWatch(const WatchDefinition& watch);
    void removeWatch(WatchHandle watch);
    void setWatchState(WatchHandle watch, WatchState state, const QString& reason);
    void setWatchNotify(WatchHandle watch, bool notify);
    // The engine's diagnostics for a watch (IDs and revisions), for its tooltip.
    void setWatchInfo(const WatchInfo& info);
    // Applies one batch: new keys are inserted (one insert per parent row),
    // changed rows reported once.
    void applyRecords(const std::vector<EventRecord>& records);
    QModelIndex indexOfWatch(WatchHandle watch) const;
    QModelIndex indexOfKey(WatchHandle watch, const QByteArray& key) const;
    std::vector<WatchHandle> watches() const;
    const WatchDefinition* definition(WatchHandle watch) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Node;
    struct WatchRoot;

    Node* nodeOf(const QModelIndex& index) const;
    QModelIndex indexOf(const Node* node, int column = 0) const;
    // New children waiting to be inserted, per parent row the views know.
    using Staged = std::map<Node*, std::vector<std::unique_ptr<Node>>>;
    Node* findOrStagePath(Node* root, const QByteArray& key, Staged& staged);
    void insertStaged(Staged& staged);
    static void unstage(Node* node);
    static QByteArray relativeKey(const Node& top, const QByteArray& key);
    WatchRoot* rootOf(WatchHandle watch) const;
    QVariant watchData(const WatchRoot& root, int column, int role) const;
    QVariant nodeData(const Node& node, int column, int role) const;

    std::vector<std::unique_ptr<WatchRoot>> roots_;
    quint64 batchStamp_ = 0;  // counts applyRecords calls; marks the rows each one changed
};

// Splits a key into its '/' segments for the tree ("a//b/" -> "a", "", "b", "").
// Leading '/' gives a first segment "/" so absolute-looking keys read well.
std::vector<QByteArray> keySegments(const QByteArray& key);

// etcd's reason without gRPC's wrapping, for a narrow column: "rpc error:
// code = PermissionDenied desc = etcdserver: permission denied" → "permission
// denied". Other text is returned as it is.
QString briefReason(const QString& reason);

}  // namespace etcdscope::ui
