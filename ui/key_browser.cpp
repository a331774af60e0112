#include "key_browser.h"

#include "add_watch_dialog.h"
#include "detail_pane.h"
#include "key_tree_model.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QScrollBar>
#include <QSplitter>
#include <QTreeView>
#include <QVBoxLayout>

namespace etcdscope::ui {

KeyBrowser::KeyBrowser(KvClient* client, QWidget* parent)
    : QWidget(parent)
    , client_(client)
    , model_(new KeyTreeModel(client, this))
{
    prefixEdit_ = new QLineEdit;
    prefixEdit_->setObjectName("keyPrefixEdit");
    prefixEdit_->setPlaceholderText(tr("Prefix to browse, e.g. /registry/pods/ (empty: every key; \\xNN for bytes)"));
    prefixEdit_->setClearButtonEnabled(true);
    revisionEdit_ = new QLineEdit;
    revisionEdit_->setObjectName("keyRevisionEdit");
    revisionEdit_->setPlaceholderText(tr("newest"));
    revisionEdit_->setToolTip(tr("Show the key space as it was at this revision (empty: the newest)"));
    revisionEdit_->setValidator(new QRegularExpressionValidator(QRegularExpression("[0-9]{0,18}"), revisionEdit_));
    revisionEdit_->setMaximumWidth(120);
    auto* go = new QPushButton(tr("&Browse"));
    auto* watch = new QPushButton(tr("&Watch this prefix…"));
    status_ = new QLabel;
    status_->setObjectName("keyBrowserStatus");

    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(prefixEdit_, 1);
    bar->addWidget(new QLabel(tr("as of revision")));
    bar->addWidget(revisionEdit_);
    bar->addWidget(go);
    bar->addWidget(watch);

    view_ = new QTreeView;
    view_->setObjectName("keyTree");
    view_->setModel(model_);
    view_->setUniformRowHeights(true);
    view_->setAlternatingRowColors(true);
    view_->setContextMenuPolicy(Qt::CustomContextMenu);
    view_->header()->setStretchLastSection(false);
    view_->header()->setSectionResizeMode(KeyTreeModel::NameColumn, QHeaderView::Stretch);
    for (int column = KeyTreeModel::ModRevisionColumn; column < KeyTreeModel::ColumnCount; ++column)
        view_->setColumnWidth(column, 90);

    detail_ = new DetailPane;
    olderButton_ = new QPushButton(tr("◀ Previous version"));
    olderButton_->setObjectName("olderVersionButton");
    olderButton_->setToolTip(tr("The value this key had before its last modification"));
    newerButton_ = new QPushButton(tr("Next version ▶"));
    newerButton_->setObjectName("newerVersionButton");
    auto* steps = new QHBoxLayout;
    steps->setContentsMargins(0, 0, 0, 0);
    steps->addWidget(olderButton_);
    steps->addWidget(newerButton_);
    steps->addStretch(1);
    auto* valuePane = new QWidget;
    auto* valueLayout = new QVBoxLayout(valuePane);
    valueLayout->setContentsMargins(0, 0, 0, 0);
    valueLayout->addLayout(steps);
    valueLayout->addWidget(detail_, 1);

    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(view_);
    splitter->addWidget(valuePane);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(splitter, 1);
    layout->addWidget(status_);

    auto browseFromControls = [this] {
        const auto prefix = AddWatchDialog::unescape(prefixEdit_->text());
        if (!prefix) {
            lastError_ = tr("The prefix has a malformed \\x escape (two hex digits are needed).");
            updateStatus();
            return;
        }
        browse(*prefix, revisionEdit_->text().toLongLong());
    };
    connect(go, &QPushButton::clicked, this, browseFromControls);
    connect(prefixEdit_, &QLineEdit::returnPressed, this, browseFromControls);
    connect(revisionEdit_, &QLineEdit::returnPressed, this, browseFromControls);
    connect(watch, &QPushButton::clicked, this, [this] {
        if (const auto prefix = AddWatchDialog::unescape(prefixEdit_->text()))
            emit watchRequested(*prefix, true);
    });
    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) { selectKey(current); });
    connect(view_, &QWidget::customContextMenuRequested, this, &KeyBrowser::showMenu);
    connect(view_->verticalScrollBar(), &QScrollBar::valueChanged, this, &KeyBrowser::fetchVisibleTails);
    connect(view_, &QTreeView::expanded, this, [this] { fetchVisibleTails(); });
    connect(model_, &KeyTreeModel::pageLoaded, this, [this] {
        fetchVisibleTails();
        updateStatus();
    });
    connect(model_, &KeyTreeModel::loadFailed, this, [this](const QString& sentence) {
        lastError_ = sentence;
        updateStatus();
    });
    connect(model_, &QAbstractItemModel::modelReset, this, [this] {
        lastError_.clear();
        updateStatus();
    });
    connect(client_, &KvClient::rangeDone, this, &KeyBrowser::onRangeDone);
    connect(olderButton_, &QPushButton::clicked, this, [this] {
        if (shownModRevision_ <= 1)
            return;
        versionTrail_.push_back(shownModRevision_ - 1);
        readValue(shownKey_, versionTrail_.back());
    });
    connect(newerButton_, &QPushButton::clicked, this, [this] {
        if (versionTrail_.size() < 2)
            return;
        versionTrail_.pop_back();
        readValue(shownKey_, versionTrail_.back());
    });
    olderButton_->setEnabled(false);
    newerButton_->setEnabled(false);
    detail_->showMessage(tr("Select a key to see its value."));
    updateStatus();
}

void KeyBrowser::browse(const QByteArray& prefix, qint64 revision)
{
    prefixEdit_->setText(AddWatchDialog::escape(prefix));
    revisionEdit_->setText(revision > 0 ? QString::number(revision) : QString());
    model_->setRoot(prefix, revision);
    // A view fetches the root's first page when it lays out; without one
    // (or when it is hidden) the tree must not stay empty.
    if (model_->canFetchMore({}))
        model_->fetchMore({});
}

void KeyBrowser::selectKey(const QModelIndex& index)
{
    if (!index.isValid())
        return;
    if (view_->currentIndex().row() != index.row() || view_->currentIndex().parent() != index.parent())
        view_->setCurrentIndex(index);
    if (index.data(KeyTreeModel::IsFolderRole).toBool()) {
        detail_->showMessage(tr("Folder %1 — open it to list its keys, or watch the prefix from its menu.")
                                 .arg(index.siblingAtColumn(0).data(Qt::ToolTipRole).toString()));
        olderButton_->setEnabled(false);
        newerButton_->setEnabled(false);
        return;
    }
    versionTrail_ = {model_->revision()};
    readValue(index.data(KeyTreeModel::KeyRole).toByteArray(), model_->revision());
}

void KeyBrowser::readValue(const QByteArray& key, qint64 revision)
{
    shownKey_ = key;
    RangeQuery query;
    query.key.assign(key.constData(), std::size_t(key.size()));
    query.revision = revision;
    valueRequest_ = client_->range(std::move(query));
    olderButton_->setEnabled(false);
    newerButton_->setEnabled(false);
}

void KeyBrowser::onRangeDone(quint64 id, const RangeResultPtr& result)
{
    if (id != valueRequest_)
        return;
    const qint64 asOf = versionTrail_.empty() ? 0 : versionTrail_.back();
    newerButton_->setEnabled(versionTrail_.size() > 1);
    if (!result->error.empty()) {
        detail_->showMessage(QString::fromStdString(result->error));
        return;
    }
    if (result->kvs.empty()) {
        shownModRevision_ = 0;
        detail_->showMessage(asOf > 0 ? tr("The key did not exist at revision %1 (created later, or deleted then).")
                                            .arg(asOf)
                                      : tr("The key no longer exists (deleted since the list was read)."));
        return;
    }
    const KeyValue& kv = result->kvs.front();
    shownModRevision_ = kv.modRevision;
    detail_->showKeyValue(shownKey_, QByteArray(kv.value.data(), qsizetype(kv.value.size())), kv.modRevision,
                          kv.createRevision, kv.version, kv.lease, asOf);
    olderButton_->setEnabled(kv.version > 1 && kv.modRevision > 1);
}

void KeyBrowser::fetchVisibleTails()
{
    // A view asks the root for more when scrolled to the end; a long open
    // folder needs the same when its last loaded row comes into sight.
    const QModelIndex last = view_->indexAt(QPoint(1, view_->viewport()->height() - 2));
    for (QModelIndex folder = last.isValid() ? last.parent() : QModelIndex(); folder.isValid();
         folder = folder.parent()) {
        if (model_->canFetchMore(folder) && last.row() >= model_->rowCount(folder) - 50)
            model_->fetchMore(folder);
    }
    if (!last.isValid() && model_->canFetchMore({}) && model_->rowCount() > 0)
        model_->fetchMore({});
}

void KeyBrowser::updateStatus()
{
    if (!lastError_.isEmpty()) {
        status_->setStyleSheet("QLabel { background: rgba(220, 60, 60, 0.25); padding: 2px 4px; }");
        status_->setText(lastError_);
        return;
    }
    const int top = model_->rowCount();
    const bool past = model_->revision() > 0;
    // Time travel is marked, so that nobody mistakes old keys for today's.
    status_->setStyleSheet(past ? "QLabel { background: rgba(230, 160, 40, 0.35); padding: 2px 4px; }" : QString());
    QString text = past ? (model_->readRevision() > 0
                               ? tr("As of revision %1 (the store is now at %2)")
                                     .arg(model_->revision())
                                     .arg(model_->readRevision())
                               : tr("As of revision %1").arg(model_->revision()))
                 : model_->readRevision() > 0 ? tr("Newest (read at revision %1)").arg(model_->readRevision())
                                              : tr("Newest");
    text += top == 1 ? tr(" · 1 entry at the top level") : tr(" · %1 entries at the top level").arg(top);
    if (model_->pendingPages() > 0)
        text += tr(" · loading…");
    status_->setText(text);
}

void KeyBrowser::showMenu(const QPoint& at)
{
    const QModelIndex index = view_->indexAt(at);
    if (!index.isValid())
        return;
    const QByteArray key = index.data(KeyTreeModel::KeyRole).toByteArray();
    const bool folder = index.data(KeyTreeModel::IsFolderRole).toBool();
    QMenu menu;
    if (folder) {
        menu.addAction(tr("Watch this prefix…"), this, [this, key] { emit watchRequested(key, true); });
        menu.addAction(tr("Browse from here"), this, [this, key] { browse(key, model_->revision()); });
    } else {
        menu.addAction(tr("Watch this key…"), this, [this, key] { emit watchRequested(key, false); });
    }
    menu.exec(view_->viewport()->mapToGlobal(at));
}

}  // namespace etcdscope::ui
