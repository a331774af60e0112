#include "insight/insight_view.h"

#include "decode/value_text.h"
#include "insight/census_model.h"
#include "insight/churn_view.h"
#include "insight/db_growth_view.h"
#include "insight/watch_health_view.h"
#include "shared/pooled_task.h"

#include <QFile>
#include <QFileDialog>
#include <QGroupBox>
#include <QDir>
#include <QHBoxLayout>
#include <QIntValidator>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QScrollArea>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace etcdscope::ui {

namespace {

constexpr int kProgressMs = 150;

QString csvField(const QString& text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

// `content` in a titled box of the dashboard.
QGroupBox* boxed(const QString& title, const char* objectName, QWidget* content)
{
    auto* box = new QGroupBox(title);
    box->setObjectName(QString::fromLatin1(objectName));
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(content);
    return box;
}

}  // namespace

InsightView::InsightView(QWidget* parent)
    : QWidget(parent)
    , model_(new CensusModel(this))
{
    prefixEdit_ = new QLineEdit(QStringLiteral("/registry/"));
    prefixEdit_->setObjectName("censusPrefix");
    prefixEdit_->setPlaceholderText(tr("Prefix (empty: the whole key space; \\xNN for other bytes)"));
    depthSpin_ = new QSpinBox;
    depthSpin_->setObjectName("censusDepth");
    depthSpin_->setRange(0, 1000);
    depthSpin_->setSpecialValueText(tr("one level below"));
    depthSpin_->setToolTip(tr("Keys are grouped up to and including their N-th '/'"));
    revisionEdit_ = new QLineEdit;
    revisionEdit_->setObjectName("censusRevision");
    revisionEdit_->setPlaceholderText(tr("now"));
    revisionEdit_->setValidator(new QIntValidator(1, INT_MAX, revisionEdit_));
    revisionEdit_->setMaximumWidth(100);
    countButton_ = new QPushButton(tr("&Count"));
    countButton_->setObjectName("censusCount");
    upButton_ = new QPushButton(tr("&Up"));
    upButton_->setObjectName("censusUp");
    upButton_->setToolTip(tr("Count the level above"));
    cancelButton_ = new QPushButton(tr("Cancel"));
    cancelButton_->setObjectName("censusCancel");
    exportButton_ = new QPushButton(tr("Export CSV…"));
    exportButton_->setObjectName("censusExport");
    progressBar_ = new QProgressBar;
    progressBar_->setObjectName("censusProgress");
    progressBar_->setMaximumWidth(220);
    progressBar_->setFormat(tr("%v of %m keys"));
    progressBar_->hide();

    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(new QLabel(tr("What fills")));
    bar->addWidget(prefixEdit_, 2);
    bar->addWidget(new QLabel(tr("grouped at depth")));
    bar->addWidget(depthSpin_);
    bar->addWidget(new QLabel(tr("at revision")));
    bar->addWidget(revisionEdit_);
    bar->addWidget(countButton_);
    bar->addWidget(upButton_);
    bar->addWidget(progressBar_);
    bar->addWidget(cancelButton_);
    bar->addStretch(1);
    bar->addWidget(exportButton_);

    status_ = new QLabel(tr("Connect, then count what the key space holds: keys and bytes per group of keys."));
    status_->setObjectName("censusStatus");
    status_->setWordWrap(true);

    view_ = new QTableView;
    view_->setObjectName("censusTable");
    configureGroupTable(view_, model_, CensusModel::GroupColumn, CensusModel::SizeColumn);
    view_->setColumnWidth(CensusModel::SizeColumn, 260);
    view_->setColumnWidth(CensusModel::ShareColumn, 70);
    view_->setColumnWidth(CensusModel::KeysColumn, 90);
    view_->setColumnWidth(CensusModel::LargestColumn, 300);
    view_->setColumnWidth(CensusModel::LargestSizeColumn, 80);

    auto* census = new QGroupBox(tr("What fills etcd"));
    census->setObjectName("censusBox");
    auto* censusLayout = new QVBoxLayout(census);
    censusLayout->setContentsMargins(6, 6, 6, 6);
    censusLayout->addLayout(bar);
    censusLayout->addWidget(status_);
    censusLayout->addWidget(view_, 1);

    churn_ = new ChurnView;
    churn_->setObjectName("churnView");
    QGroupBox* churnBox = boxed(tr("Who is writing"), "churnBox", churn_);
    growth_ = new DbGrowthView;
    growth_->setObjectName("growthView");
    QGroupBox* growthBox = boxed(tr("Database growth"), "growthBox", growth_);
    health_ = new WatchHealthView;
    health_->setObjectName("healthView");
    QGroupBox* healthBox = boxed(tr("Watch health"), "healthBox", health_);
    // The quota etcd serves is the one the growth estimate uses.
    connect(health_, &WatchHealthView::quotaRead, growth_, [this](qint64 bytes) {
        if (bytes != growth_->quotaBytes())
            growth_->setQuotaBytes(bytes);
    });

    // Three rows: what fills etcd; who writes and how the database grows;
    // the watch health across the whole width (its eight charts need it). A
    // window too small for them scrolls rather than squeezing the charts.
    auto* middle = new QSplitter(Qt::Horizontal);
    middle->setChildrenCollapsible(false);
    middle->addWidget(churnBox);
    middle->addWidget(growthBox);
    middle->setStretchFactor(0, 3);
    middle->setStretchFactor(1, 2);
    auto* split = new QSplitter(Qt::Vertical);
    split->setChildrenCollapsible(false);
    split->addWidget(census);
    split->addWidget(middle);
    split->addWidget(healthBox);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 3);
    census->setMinimumHeight(200);
    middle->setMinimumHeight(260);
    auto* scroll = new QScrollArea;
    scroll->setObjectName("insightScroll");
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(split);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(scroll);

    const auto fromControls = [this] {
        const auto prefix = unescapeKey(prefixEdit_->text());
        if (!prefix) {
            status_->setText(tr("The prefix has a malformed \\x escape (two hex digits are needed)."));
            return;
        }
        runCensus(*prefix, depthSpin_->value(), revisionEdit_->text().toLongLong());
    };
    connect(countButton_, &QPushButton::clicked, this, fromControls);
    connect(prefixEdit_, &QLineEdit::returnPressed, this, fromControls);
    connect(upButton_, &QPushButton::clicked, this, &InsightView::goUp);
    connect(cancelButton_, &QPushButton::clicked, this, &InsightView::cancelCensus);
    connect(view_, &QTableView::doubleClicked, this, [this](const QModelIndex& index) { drillInto(index.row()); });
    connect(exportButton_, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the census"),
                                                          QDir::homePath() + "/etcd-census.csv", tr("CSV (*.csv)"));
        QString error;
        if (!path.isEmpty() && !exportCsv(path, &error))
            status_->setText(error);
    });
    connect(&watcher_, &QFutureWatcher<CensusResult>::finished, this, &InsightView::showResult);
    progressTimer_.setInterval(kProgressMs);
    connect(&progressTimer_, &QTimer::timeout, this, &InsightView::showProgress);
    setCluster(std::nullopt, {});
}

// A census still running is told to stop and finishes on its own: it holds
// its own connection and progress, never the view.
InsightView::~InsightView()
{
    if (progress_)
        progress_->cancelled = true;
}

void InsightView::setCluster(std::optional<ConnectionOptions> options, const QString& name)
{
    cluster_ = std::move(options);
    clusterName_ = name;
    health_->setConnection(cluster_);
    const bool running = watcher_.isRunning();
    countButton_->setEnabled(cluster_.has_value() && !running);
    upButton_->setEnabled(cluster_.has_value() && !running && !prefix_.isEmpty());
    cancelButton_->setVisible(running);
    exportButton_->setEnabled(model_->rowCount() > 0);
}

QString InsightView::statusText() const { return status_->text(); }

void InsightView::runCensus(const QByteArray& prefix, int depth, qint64 revision)
{
    if (!cluster_) {
        status_->setText(tr("Connect to a cluster first."));
        emit censusFinished(false);
        return;
    }
    if (watcher_.isRunning())
        return;  // one census at a time; Cancel stops it
    prefix_ = prefix;
    depth_ = depth;
    prefixEdit_->setText(escapeKey(prefix));
    depthSpin_->setValue(depth);
    revisionEdit_->setText(revision > 0 ? QString::number(revision) : QString());
    CensusQuery query;
    query.range.key = prefix.toStdString();
    query.range.rangeEnd = prefixRangeEnd(query.range.key);
    query.depth = depth > 0 ? depth : censusDepthBelow(query.range.key);
    query.revision = revision;
    progress_ = std::make_shared<Progress>();
    status_->setText(tr("Counting %1 in %2…").arg(describeSpec(query.range), clusterName_));
    progressBar_->setRange(0, 0);
    progressBar_->show();
    watcher_.setFuture(runPooled([options = *cluster_, query, progress = progress_] {
        AdminConnection connection;
        connection.reset(options);
        return takeCensus(connection, query, [&progress](std::int64_t done, std::int64_t total) {
            progress->done = done;
            progress->total = total;
            return !progress->cancelled.load();
        });
    }));
    progressTimer_.start();
    setCluster(cluster_, clusterName_);
}

void InsightView::cancelCensus()
{
    if (progress_)
        progress_->cancelled = true;
}

void InsightView::showProgress()
{
    if (!progress_)
        return;
    const qint64 total = progress_->total;
    if (total <= 0)
        return;
    // A progress bar counts in int: scaled for more than two billion keys.
    const qint64 scale = total > INT_MAX ? total / INT_MAX + 1 : 1;
    progressBar_->setRange(0, int(total / scale));
    progressBar_->setValue(int(progress_->done / scale));
}

void InsightView::showResult()
{
    progressTimer_.stop();
    progressBar_->hide();
    const CensusResult census = watcher_.result();
    const bool cancelled = progress_ && progress_->cancelled && census.error.empty();
    model_->setCensus(census.groups, census.bytes);
    WatchSpec range;
    range.key = prefix_.toStdString();
    range.rangeEnd = prefixRangeEnd(range.key);
    const QString what = describeSpec(range);
    const QString totals = tr("%1 keys, %2 in %3 groups")
                               .arg(QLocale().toString(census.keys), byteSize(census.bytes))
                               .arg(census.groups.size());
    if (!census.partial) {
        status_->setText(tr("%1 at revision %2: %3. Double-click a group to count inside it.")
                             .arg(what)
                             .arg(census.revision)
                             .arg(totals));
    } else if (census.keys == 0 && !census.error.empty()) {
        status_->setText(QString::fromStdString(census.error));
    } else {
        status_->setText(tr("Partial: %1 of %2 keys of %3 at revision %4 were counted (%5). %6")
                             .arg(QLocale().toString(census.keys), QLocale().toString(census.totalKeys), what)
                             .arg(census.revision)
                             .arg(totals,
                                  cancelled ? tr("Cancelled.") : QString::fromStdString(census.error)));
    }
    progress_.reset();
    setCluster(cluster_, clusterName_);
    emit censusFinished(!census.partial);
}

void InsightView::drillInto(int row)
{
    if (row < 0 || row >= model_->rowCount())
        return;
    const CensusGroup& group = model_->group(row);
    if (group.keys <= 1 || group.prefix.empty() || group.prefix.back() != '/')
        return;  // a single key, or a whole key: nothing below it
    runCensus(QByteArray::fromStdString(group.prefix), 0, revisionEdit_->text().toLongLong());
}

void InsightView::goUp()
{
    if (prefix_.isEmpty())
        return;
    QByteArray up = prefix_;
    if (up.endsWith('/'))
        up.chop(1);
    const qsizetype slash = up.lastIndexOf('/');
    up = slash < 0 ? QByteArray() : up.left(slash + 1);
    runCensus(up, 0, revisionEdit_->text().toLongLong());
}

bool InsightView::exportCsv(const QString& path, QString* error) const
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = tr("Cannot write %1: %2.").arg(path, file.errorString());
        return false;
    }
    QByteArray out = "prefix,keys,bytes,largest_key,largest_bytes\n";
    for (const CensusGroup& g : model_->groups()) {
        out += csvField(escapeKey(QByteArray::fromStdString(g.prefix))).toUtf8() + ',' + QByteArray::number(g.keys)
            + ',' + QByteArray::number(g.bytes) + ',' + csvField(escapeKey(QByteArray::fromStdString(g.largestKey))).toUtf8()
            + ',' + QByteArray::number(g.largestBytes) + '\n';
    }
    if (file.write(out) != out.size() || !file.flush()) {
        *error = tr("Cannot write %1: %2.").arg(path, file.errorString());
        return false;
    }
    return true;
}

}  // namespace etcdscope::ui
