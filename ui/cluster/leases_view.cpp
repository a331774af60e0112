#include "cluster/leases_view.h"

#include "decode/value_text.h"


#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace etcdscope::ui {

namespace {

constexpr int kLeaseLimit = 500;

QString seconds(std::int64_t s)
{
    if (s < 0)
        return QObject::tr("expired");
    if (s < 120)
        return QObject::tr("%1 s").arg(s);
    if (s < 7200)
        return QObject::tr("%1 min %2 s").arg(s / 60).arg(s % 60);
    return QObject::tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

}  // namespace

LeasesView::LeasesView(AdminClient* client, QWidget* parent)
    : QWidget(parent)
    , client_(client)
{
    summary_ = new QLabel(tr("Not read yet."));
    summary_->setObjectName("leasesSummary");
    auto* refreshButton = new QPushButton(tr("&Refresh"));
    connect(refreshButton, &QPushButton::clicked, this, &LeasesView::refresh);
    auto* top = new QHBoxLayout;
    top->addWidget(summary_, 1);
    top->addWidget(refreshButton);

    tree_ = new QTreeWidget;
    tree_->setObjectName("leasesTree");
    tree_->setColumnCount(ColumnCount);
    tree_->setHeaderLabels({tr("Lease / key"), tr("Time left"), tr("Granted"), tr("Keys")});
    tree_->setUniformRowHeights(true);
    tree_->setAlternatingRowColors(true);
    tree_->header()->setSectionResizeMode(LeaseColumn, QHeaderView::Stretch);
    tree_->header()->setStretchLastSection(false);
    for (int column = TtlColumn; column < ColumnCount; ++column)
        tree_->setColumnWidth(column, 110);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(tree_, 1);

    connect(&timer_, &QTimer::timeout, this, &LeasesView::refresh);
    connect(client_, &AdminClient::leasesDone, this, [this](quint64 id, const LeaseListPtr& list) {
        if (id != pending_)
            return;
        pending_ = 0;
        display(list);
    });
}

void LeasesView::refresh()
{
    if (pending_ == 0)
        pending_ = client_->leases(kLeaseLimit);
}

void LeasesView::setRefreshInterval(int ms)
{
    if (ms <= 0)
        timer_.stop();
    else
        timer_.start(ms);
}

void LeasesView::display(const LeaseListPtr& list)
{
    const QString when = QDateTime::currentDateTime().toString("hh:mm:ss");
    if (!list->error.empty()) {
        summary_->setText(tr("Cannot read the leases (%1): %2").arg(when, QString::fromStdString(list->error)));
        emit refreshed();
        return;
    }
    // Keep what is open open across a refresh.
    QSet<QString> expanded;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i)
        if (tree_->topLevelItem(i)->isExpanded())
            expanded.insert(tree_->topLevelItem(i)->text(LeaseColumn));
    tree_->clear();
    std::size_t keys = 0;
    for (const LeaseInfo& lease : list->leases) {
        auto* item = new QTreeWidgetItem(tree_);
        item->setText(LeaseColumn, QString::number(quint64(lease.id), 16));
        item->setText(TtlColumn, seconds(lease.ttl));
        item->setText(GrantedColumn, seconds(lease.grantedTtl));
        item->setText(KeysColumn, QString::number(lease.keys.size()));
        for (int column = TtlColumn; column < ColumnCount; ++column)
            item->setTextAlignment(column, Qt::AlignRight | Qt::AlignVCenter);
        for (const std::string& key : lease.keys) {
            auto* child = new QTreeWidgetItem(item);
            child->setText(LeaseColumn, escapeKey(QByteArray(key.data(), qsizetype(key.size()))));
        }
        keys += lease.keys.size();
        item->setExpanded(expanded.contains(item->text(LeaseColumn)));
    }
    QString text = list->total == 1 ? tr("1 lease") : tr("%1 leases").arg(list->total);
    if (std::int64_t(list->leases.size()) < list->total)
        text += tr(" (the first %1 by ID shown)").arg(list->leases.size());
    text += tr(" · %1 keys attached · read at %2").arg(keys).arg(when);
    summary_->setText(text);
    emit refreshed();
}

}  // namespace etcdscope::ui
