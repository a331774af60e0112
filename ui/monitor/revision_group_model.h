// The timeline grouped by revision: one expandable row per revision (a
// transaction's events together, across watches), its events as children.
// Built over the flat timeline (or its filter proxy). Appends at the end and
// trims at the front are followed incrementally, with exact ranges;
// anything else (a filter change, a reset) rebuilds the groups.
#pragma once

#include <QAbstractItemModel>
#include <QPointer>

#include <vector>

namespace etcdscope::ui {

class RevisionGroupModel : public QAbstractItemModel {
    Q_OBJECT

public:
    explicit RevisionGroupModel(QObject* parent = nullptr);
    // `source` is flat; it provides EventTimelineModel's RevisionRole.
    void setSourceModel(QAbstractItemModel* source);
    QModelIndex mapToSource(const QModelIndex& index) const;  // a group maps to its first event

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Group {
        int firstSourceRow = 0;
        int count = 0;
        qint64 revision = 0;
    };
    // Children carry their group's position + 1 in internalId; groups carry 0.
    static constexpr quintptr kGroupId = 0;

    qint64 revisionAt(int sourceRow) const;
    void rebuild();
    void onRowsInserted(const QModelIndex& parent, int first, int last);
    void onRowsAboutToBeRemoved(const QModelIndex& parent, int first, int last);
    void onRowsRemoved(const QModelIndex& parent, int first, int last);
    QVariant groupData(const Group& group, int column, int role) const;

    QPointer<QAbstractItemModel> source_;
    std::vector<Group> groups_;
    bool resetPending_ = false;  // a removal that is not a front trim
};

}  // namespace etcdscope::ui
