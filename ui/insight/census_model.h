// The census as a table: one row a group, largest first, with its share of
// the bytes (drawn as a bar by CensusBarDelegate), its keys and its largest
// key. Under /registry/ a group is also named as Kubernetes names it.
#pragma once

#include "insight/census.h"

#include <QAbstractTableModel>
#include <QStyledItemDelegate>

#include <vector>

QT_BEGIN_NAMESPACE
class QTableView;
QT_END_NAMESPACE

namespace etcdscope::ui {

class CensusModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { GroupColumn, SizeColumn, ShareColumn, KeysColumn, LargestColumn, LargestSizeColumn, ColumnCount };
    // The share of the largest group, 0..1, for the bar (Qt::UserRole on SizeColumn).
    static constexpr int BarRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;

    void setCensus(std::vector<CensusGroup> groups, qint64 totalBytes);
    const CensusGroup& group(int row) const { return groups_[std::size_t(row)]; }
    const std::vector<CensusGroup>& groups() const { return groups_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<CensusGroup> groups_;
    qint64 totalBytes_ = 0;
    qint64 largestGroupBytes_ = 0;
};

// Paints the size column as a bar as long as the group's share of the largest.
class CensusBarDelegate : public QStyledItemDelegate {
    Q_OBJECT

public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

// A table of groups as the Insight views show them: `model` in `view`, whole
// rows selected one at a time, the bar painted in `barColumn`, the group
// column stretched with keys elided in the middle.
void configureGroupTable(QTableView* view, QAbstractItemModel* model, int groupColumn, int barColumn);

// What Kubernetes calls a group of keys under /registry/: "pods", "pods in
// kube-system", or an object's own name for a whole key; empty elsewhere.
QString kubernetesGroupName(const std::string& prefix);

// "1.2 MiB" and the like.
QString byteSize(qint64 bytes);

}  // namespace etcdscope::ui
