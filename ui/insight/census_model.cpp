#include "insight/census_model.h"

#include "decode/kubernetes/registry_key.h"
#include "decode/value_text.h"

#include <QApplication>
#include <QHeaderView>
#include <QPainter>
#include <QTableView>

namespace etcdscope::ui {

namespace {

QString resourceName(const kubernetes::RegistryKey& key)
{
    return QString::fromStdString(key.group.empty() ? key.resource : key.resource + "." + key.group);
}

}  // namespace

// Made-up names complete the path, so that the parser sees an object of the group.
QString kubernetesGroupName(const std::string& prefix)
{
    if (prefix.rfind("/registry/", 0) != 0 || prefix.size() <= 10)
        return {};
    if (prefix.back() != '/') {
        const auto key = kubernetes::parseRegistryKey(prefix);
        return key ? QString::fromStdString(key->label()) : QString();
    }
    if (const auto key = kubernetes::parseRegistryKey(prefix + "x"); key && key->name == "x")
        return key->namespaceName.empty()
            ? resourceName(*key)
            : QObject::tr("%1 in %2").arg(resourceName(*key), QString::fromStdString(key->namespaceName));
    if (const auto key = kubernetes::parseRegistryKey(prefix + "x/x");
        key && key->name == "x" && key->namespaceName == "x")
        return resourceName(*key);  // a namespaced resource
    return {};
}

QString byteSize(qint64 bytes)
{
    if (bytes < 1024)
        return QObject::tr("%1 B").arg(bytes);
    if (bytes < 1024 * 1024)
        return QObject::tr("%1 KiB").arg(double(bytes) / 1024.0, 0, 'f', 1);
    if (bytes < 1024LL * 1024 * 1024)
        return QObject::tr("%1 MiB").arg(double(bytes) / 1048576.0, 0, 'f', 1);
    return QObject::tr("%1 GiB").arg(double(bytes) / 1073741824.0, 0, 'f', 2);
}

void CensusModel::setCensus(std::vector<CensusGroup> groups, qint64 totalBytes)
{
    beginResetModel();
    groups_ = std::move(groups);
    totalBytes_ = totalBytes;
    largestGroupBytes_ = groups_.empty() ? 0 : groups_.front().bytes;
    for (const CensusGroup& g : groups_)
        largestGroupBytes_ = std::max<qint64>(largestGroupBytes_, g.bytes);
    endResetModel();
}

int CensusModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(groups_.size()); }

int CensusModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant CensusModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const CensusGroup& g = groups_[std::size_t(index.row())];
    if (role == BarRole)
        return largestGroupBytes_ > 0 ? double(g.bytes) / double(largestGroupBytes_) : 0.0;
    if (role == Qt::TextAlignmentRole && index.column() != GroupColumn && index.column() != LargestColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == GroupColumn) {
        const QString name = kubernetesGroupName(g.prefix);
        return name.isEmpty() ? escapeKey(QByteArray::fromStdString(g.prefix))
                              : escapeKey(QByteArray::fromStdString(g.prefix)) + "\n" + name;
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case GroupColumn: {
        const QString shown = escapeKey(QByteArray::fromStdString(g.prefix));
        const QString name = kubernetesGroupName(g.prefix);
        return name.isEmpty() ? shown : QStringLiteral("%1   (%2)").arg(shown, name);
    }
    case SizeColumn: return byteSize(g.bytes);
    case ShareColumn:
        return totalBytes_ > 0 ? QStringLiteral("%1 %").arg(100.0 * double(g.bytes) / double(totalBytes_), 0, 'f', 1)
                               : QString();
    case KeysColumn: return QLocale().toString(g.keys);
    case LargestColumn: return escapeKey(QByteArray::fromStdString(g.largestKey));
    case LargestSizeColumn: return byteSize(g.largestBytes);
    default: return {};
    }
}

QVariant CensusModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case GroupColumn: return tr("Group");
    case SizeColumn: return tr("Bytes");
    case ShareColumn: return tr("Share");
    case KeysColumn: return tr("Keys");
    case LargestColumn: return tr("Largest key");
    case LargestSizeColumn: return tr("Its size");
    default: return {};
    }
}

void CensusBarDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyleOptionViewItem item = option;
    initStyleOption(&item, index);
    const QString text = item.text;
    item.text.clear();
    // Background and selection only; the text goes beside the bar, not over it.
    const QStyle* style = item.widget ? item.widget->style() : QApplication::style();
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &item, painter, item.widget);
    painter->save();
    const int textWidth = option.fontMetrics.horizontalAdvance(QStringLiteral("0000.0 MiB")) + 8;
    QRect bar = option.rect.adjusted(4, 5, -textWidth, -5);
    bar.setWidth(std::max(1, int(bar.width() * index.data(CensusModel::BarRole).toDouble())));
    QColor colour = option.palette.color(QPalette::Highlight);
    colour.setAlphaF(0.6);
    painter->fillRect(bar, colour);
    painter->setPen(option.palette.color(option.state & QStyle::State_Selected ? QPalette::HighlightedText
                                                                                : QPalette::Text));
    painter->drawText(option.rect.adjusted(0, 0, -6, 0), Qt::AlignRight | Qt::AlignVCenter, text);
    painter->restore();
}

void configureGroupTable(QTableView* view, QAbstractItemModel* model, int groupColumn, int barColumn)
{
    view->setModel(model);
    view->setItemDelegateForColumn(barColumn, new CensusBarDelegate(view));
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->setTextElideMode(Qt::ElideMiddle);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    view->horizontalHeader()->setSectionResizeMode(groupColumn, QHeaderView::Stretch);
}

}  // namespace etcdscope::ui
