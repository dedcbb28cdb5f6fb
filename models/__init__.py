"""SQLModel tables, one module per aggregate; importing this package registers every table."""

from models.alerts import Alert
from models.audit import AuditEntry
from models.cards import CardUse
from models.checks import CheckDailyTotal, CheckResult
from models.drafts import Draft
from models.events import ProcessedEvent
from models.files import OutgoingFile, PendingImport
from models.ledger import SendLedger
from models.members import ChatBinding, Identity, Invite, Member
from models.observation import FollowUp, Observation
from models.outbox import OutboxMessage
from models.referrals import Referral, ReferralStep
from models.reports import DailyReport, DailyReportVersion
from models.screening import ScreeningTarget, ScreeningTargetChange, ScreeningVisit
from models.supplies import SupplyNeed
from models.tokens import PlatformToken

__all__ = [
    "Alert",
    "AuditEntry",
    "CardUse",
    "ChatBinding",
    "CheckDailyTotal",
    "CheckResult",
    "DailyReport",
    "DailyReportVersion",
    "Draft",
    "FollowUp",
    "Identity",
    "Invite",
    "Member",
    "Observation",
    "OutboxMessage",
    "OutgoingFile",
    "PendingImport",
    "PlatformToken",
    "ProcessedEvent",
    "Referral",
    "ReferralStep",
    "ScreeningTarget",
    "ScreeningTargetChange",
    "ScreeningVisit",
    "SendLedger",
    "SupplyNeed",
]
