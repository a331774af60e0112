#include "insight/churn_view.h"

#include "decode/value_text.h"
#include "insight/census_model.h"
#include "shared/status_colours.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace etcdscope::ui {

namespace {

constexpr qreal kLineWidthPx = 2;
constexpr double kMinRateAxisMax = 1;  // an idle chart still has a readable axis

QString perSecond(double value)
{
    if (value >= 100)
        return QLocale().toString(qint64(std::llround(value)));
    return QLocale().toString(value, 'f', value >= 10 ? 1 : 2);
}

QString watches(int count)
{
    return count == 1 ? ChurnView::tr("the watch") : ChurnView::tr("%1 watches").arg(count);
}

QString groupsCount(int count)
{
    return count == 1 ? ChurnView::tr("one group") : ChurnView::tr("%1 groups").arg(count);
}

}  // namespace

// --- the table ------------------------------------------------------------------------------

void ChurnModel::setChurn(std::vector<ChurnGroup> groups, double seconds)
{
    beginResetModel();
    groups_ = std::move(groups);
    seconds_ = std::max(1.0, seconds);
    mostEvents_ = groups_.empty() ? 0 : groups_.front().counts.events;
    endResetModel();
}

int ChurnModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(groups_.size()); }

int ChurnModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ChurnModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const ChurnGroup& g = groups_[std::size_t(index.row())];
    if (role == CensusModel::BarRole)
        return mostEvents_ > 0 ? double(g.counts.events) / double(mostEvents_) : 0.0;
    if (role == Qt::TextAlignmentRole && index.column() != GroupColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    const QString shown = escapeKey(QByteArray::fromStdString(g.prefix));
    const QString name = kubernetesGroupName(g.prefix);
    if (role == Qt::ToolTipRole && index.column() == GroupColumn)
        return name.isEmpty() ? shown : shown + "\n" + name;
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case GroupColumn: return name.isEmpty() ? shown : QStringLiteral("%1   (%2)").arg(shown, name);
    case EventsRateColumn: return perSecond(double(g.counts.events) / seconds_);
    case BytesRateColumn: return tr("%1/s").arg(byteSize(std::llround(double(g.counts.bytes) / seconds_)));
    case RevisionsRateColumn: return perSecond(double(g.counts.revisions) / seconds_);
    case EventsColumn: return QLocale().toString(g.counts.events);
    case DeletesColumn: return QLocale().toString(g.counts.deletes);
    default: return {};
    }
}

QVariant ChurnModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole && section == RevisionsRateColumn)
        return tr("Revisions that changed the group, per second (a transaction is one)");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case GroupColumn: return tr("Group");
    case EventsRateColumn: return tr("Events/s");
    case BytesRateColumn: return tr("Bytes/s");
    case RevisionsRateColumn: return tr("Revisions/s");
    case EventsColumn: return tr("Events");
    case DeletesColumn: return tr("Deletes");
    default: return {};
    }
}

// --- the view -------------------------------------------------------------------------------

ChurnView::ChurnView(QWidget* parent)
    : QWidget(parent)
    , tally_(ChurnGrouping::KubernetesResource, 2)
    , clock_([] { return QDateTime::currentMSecsSinceEpoch(); })
    , model_(new ChurnModel(this))
{
    groupingCombo_ = new QComboBox;
    groupingCombo_->setObjectName("churnGrouping");
    groupingCombo_->addItem(tr("Kubernetes resource"), int(ChurnGrouping::KubernetesResource));
    groupingCombo_->addItem(tr("resource and namespace"), int(ChurnGrouping::KubernetesNamespace));
    groupingCombo_->addItem(tr("key prefix"), int(ChurnGrouping::Depth));
    groupingCombo_->setToolTip(tr("Keys outside /registry/ are grouped by prefix, at the depth beside"));
    depthSpin_ = new QSpinBox;
    depthSpin_->setObjectName("churnDepth");
    depthSpin_->setRange(1, 1000);
    depthSpin_->setValue(tally_.depth());
    depthSpin_->setPrefix(tr("depth "));
    depthSpin_->setToolTip(tr("A prefix group is a key up to and including its N-th '/'"));
    windowCombo_ = new QComboBox;
    windowCombo_->setObjectName("churnWindow");
    windowCombo_->addItem(tr("over the last minute"), int(ChurnTally::Window::Minute));
    windowCombo_->addItem(tr("over the last hour"), int(ChurnTally::Window::Hour));
    auto* watchAll = new QPushButton(tr("Watch the whole key space"));
    watchAll->setObjectName("churnWatchAll");
    watchAll->setToolTip(tr("Churn is counted from what the watches see; a watch of every key, from now, sees all of it"));

    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(new QLabel(tr("Who is writing, per")));
    bar->addWidget(groupingCombo_);
    bar->addWidget(depthSpin_);
    bar->addWidget(windowCombo_);
    bar->addStretch(1);
    bar->addWidget(watchAll);

    status_ = new QLabel;
    status_->setObjectName("churnStatus");
    status_->setWordWrap(true);

    chart_ = new QChart;
    chart_->legend()->setAlignment(Qt::AlignBottom);
    chart_->setMargins(QMargins(4, 4, 4, 4));
    xAxis_ = new QValueAxis;
    xAxis_->setLabelFormat(QStringLiteral("%d"));
    xAxis_->setTickType(QValueAxis::TicksDynamic);
    xAxis_->setTickAnchor(0);
    xAxis_->setTickInterval(ChurnTally::kSteps / 4);
    chart_->addAxis(xAxis_, Qt::AlignBottom);
    yAxis_ = new QValueAxis;
    yAxis_->setTitleText(tr("events/s"));
    yAxis_->setLabelFormat(QStringLiteral("%.0f"));
    chart_->addAxis(yAxis_, Qt::AlignLeft);
    for (int i = 0; i < kChartedGroups; ++i) {
        auto* line = new QLineSeries;
        chart_->addSeries(line);
        line->attachAxis(xAxis_);
        line->attachAxis(yAxis_);
        line->setVisible(false);
        lines_.push_back(line);
    }
    auto* chartView = new QChartView(chart_);
    chartView->setObjectName("churnChart");
    chartView->setRenderHint(QPainter::Antialiasing);
    chartView->setMinimumSize(360, 200);

    table_ = new QTableView;
    table_->setObjectName("churnTable");
    configureGroupTable(table_, model_, ChurnModel::GroupColumn, ChurnModel::EventsRateColumn);
    table_->setColumnWidth(ChurnModel::EventsRateColumn, 150);
    for (const int column : {ChurnModel::BytesRateColumn, ChurnModel::RevisionsRateColumn, ChurnModel::EventsColumn,
                             ChurnModel::DeletesColumn})
        table_->setColumnWidth(column, 82);

    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(table_);
    split->addWidget(chartView);
    split->setChildrenCollapsible(false);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({760, 400});

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(status_);
    layout->addWidget(split, 1);

    const auto regroup = [this] {
        setGrouping(ChurnGrouping(groupingCombo_->currentData().toInt()), depthSpin_->value());
    };
    connect(groupingCombo_, &QComboBox::currentIndexChanged, this, regroup);
    connect(depthSpin_, &QSpinBox::valueChanged, this, regroup);
    connect(windowCombo_, &QComboBox::currentIndexChanged, this,
            [this] { setWindow(ChurnTally::Window(windowCombo_->currentData().toInt())); });
    connect(watchAll, &QPushButton::clicked, this, &ChurnView::watchEverythingRequested);
    timer_.setInterval(kRefreshMs);
    connect(&timer_, &QTimer::timeout, this, &ChurnView::refresh);
    timer_.start();
    refresh();
}

qint64 ChurnView::now() const { return clock_(); }

void ChurnView::addBatch(const UpdateBatch& batch, qint64 atMs)
{
    for (const WatchInfo& info : batch.watchInfos) {
        // The first creation says where a watch of the past reaches the present.
        if (!replayUpTo_.contains(info.handle) && info.createdRevision > 0)
            replayUpTo_.insert(info.handle, info.spec.startRevision > 0 ? info.createdRevision : 0);
    }
    for (const WatchUpdate& update : batch.updates) {
        if (update.kind != WatchUpdate::Kind::Events)
            continue;
        const qint64 history = replayUpTo_.value(update.watch, 0);
        for (const WatchEvent& event : update.events)
            if (event.kv.modRevision > history)
                tally_.add(event, atMs);
    }
}

void ChurnView::setWatchCount(int watches)
{
    watchCount_ = watches;
    refresh();
}

void ChurnView::clear()
{
    tally_.regroup(tally_.grouping(), tally_.depth());
    replayUpTo_.clear();
    refresh();
}

void ChurnView::setGrouping(ChurnGrouping grouping, int depth)
{
    if (grouping == tally_.grouping() && depth == tally_.depth())
        return;
    tally_.regroup(grouping, depth);
    if (const int at = groupingCombo_->findData(int(grouping)); at >= 0 && at != groupingCombo_->currentIndex())
        groupingCombo_->setCurrentIndex(at);
    if (depthSpin_->value() != depth)
        depthSpin_->setValue(depth);
    refresh();
}

void ChurnView::setWindow(ChurnTally::Window window)
{
    window_ = window;
    if (const int at = windowCombo_->findData(int(window)); at >= 0 && at != windowCombo_->currentIndex())
        windowCombo_->setCurrentIndex(at);
    refresh();
}

void ChurnView::refresh()
{
    const qint64 nowMs = now();
    tally_.trim(nowMs);
    const double seconds = tally_.observedSeconds(window_, nowMs);
    std::vector<ChurnGroup> groups = tally_.top(window_, nowMs);
    ChurnCounts all;
    for (const ChurnGroup& g : groups)
        all += g.counts;

    const bool minute = window_ == ChurnTally::Window::Minute;
    const double stepSeconds = minute ? 1 : 60;
    double highest = kMinRateAxisMax;
    const bool dark = isDarkPalette(palette());
    for (std::size_t i = 0; i < lines_.size(); ++i) {
        QLineSeries* line = lines_[i];
        if (i >= groups.size()) {
            line->setVisible(false);
            line->clear();
            continue;
        }
        QList<QPointF> points;
        const auto steps = tally_.series(groups[i].prefix, window_, nowMs);
        for (std::size_t s = 0; s < steps.size(); ++s) {
            const double rate = double(steps[s].events) / stepSeconds;
            highest = std::max(highest, rate);
            points.append(QPointF(qreal(s) - qreal(steps.size() - 1), rate));
        }
        line->replace(points);
        const QString name = kubernetesGroupName(groups[i].prefix);
        line->setName(name.isEmpty() ? escapeKey(QByteArray::fromStdString(groups[i].prefix)) : name);
        line->setPen(QPen(seriesColour(i), kLineWidthPx));
        line->setVisible(true);
    }
    const QChart::ChartTheme theme = dark ? QChart::ChartThemeDark : QChart::ChartThemeLight;
    if (chart_->theme() != theme) {
        chart_->setTheme(theme);
        for (std::size_t i = 0; i < lines_.size(); ++i)
            lines_[i]->setPen(QPen(seriesColour(i), kLineWidthPx));
    }
    xAxis_->setRange(-ChurnTally::kSteps, 0);
    xAxis_->setTitleText(minute ? tr("seconds ago") : tr("minutes ago"));
    yAxis_->setRange(0, std::ceil(highest * 1.1));
    yAxis_->applyNiceNumbers();

    model_->setChurn(std::move(groups), seconds);
    const double windowSeconds = minute ? 60 : 3600;
    const QString span = seconds < windowSeconds
        ? tr("the %1 s since counting began").arg(std::llround(seconds))
        : minute ? tr("the last minute") : tr("the last hour");
    if (watchCount_ == 0)
        status_->setText(tr("No watch is running: churn is counted from what the watches see. Add a watch, or "
                            "watch the whole key space."));
    else if (all.events == 0)
        status_->setText(tr("Nothing written over %1 in what %2 see.").arg(span, watches(watchCount_)));
    else
        status_->setText(tr("%1 events/s, %2/s, %3 revisions/s over %4, in %5, from what %6 see (history a watch "
                            "replays is not counted).")
                             .arg(perSecond(double(all.events) / std::max(1.0, seconds)),
                                  byteSize(std::llround(double(all.bytes) / std::max(1.0, seconds))),
                                  perSecond(double(all.revisions) / std::max(1.0, seconds)), span,
                                  groupsCount(model_->rowCount()), watches(watchCount_)));
}

QString ChurnView::statusText() const { return status_->text(); }

std::vector<std::pair<QString, QList<QPointF>>> ChurnView::chartedLines() const
{
    std::vector<std::pair<QString, QList<QPointF>>> shown;
    for (const QLineSeries* line : lines_)
        if (line->isVisible())
            shown.emplace_back(line->name(), line->points());
    return shown;
}

void ChurnView::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (chart_ && isPaletteChange(event))
        refresh();
}

}  // namespace etcdscope::ui
