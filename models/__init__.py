"""SQLModel tables, one module per aggregate; importing this package registers every table."""

from lianfang.models.alerts import Alert
from lianfang.models.audit import AuditEntry
from lianfang.models.cards import CardUse
from lianfang.models.checks import CheckDailyTotal, CheckResult
from lianfang.models.coverage import CoverageTotal
from lianfang.models.dashboard import DashboardLogin
from lianfang.models.drafts import Draft
from lianfang.models.duty import DutyAssignment, DutyLeader, DutySwap
from lianfang.models.events import ProcessedEvent
from lianfang.models.files import KeptFile, OutgoingFile, PendingImport
from lianfang.models.inbox import InboxEvent
from lianfang.models.incidents import Incident
from lianfang.models.inspections import Inspection
from lianfang.models.leave import Leave
from lianfang.models.markets import MarketClosure, MarketInspection
from lianfang.models.meetings import Meeting, MeetingAttendee, MeetingDecision
from lianfang.models.members import ChatBinding, Identity, Invite, Member
from lianfang.models.observation import FollowUp, Observation
from lianfang.models.outbox import OutboxMessage
from lianfang.models.recipient_pace import RecipientPace
from lianfang.models.referrals import Referral, ReferralStep
from lianfang.models.reports import DailyReport, DailyReportVersion
from lianfang.models.retention import Emergency, Erasure
from lianfang.models.screening import ScreeningTarget, ScreeningTargetChange, ScreeningVisit
from lianfang.models.send_ledger import SendLedger
from lianfang.models.send_slots import SendSlot
from lianfang.models.stock import StockBatch, StockLevel, StockMovement
from lianfang.models.supervision import SupervisionEvent, SupervisionItem, SupervisionShare
from lianfang.models.supplies import Purchase, SupplyNeed, SupplyStep
from lianfang.models.tokens import PlatformToken

__all__ = [
    "Alert",
    "AuditEntry",
    "CardUse",
    "ChatBinding",
    "CheckDailyTotal",
    "CheckResult",
    "CoverageTotal",
    "DashboardLogin",
    "DailyReport",
    "DailyReportVersion",
    "Draft",
    "DutyAssignment",
    "DutyLeader",
    "DutySwap",
    "Emergency",
    "Erasure",
    "FollowUp",
    "Identity",
    "InboxEvent",
    "Incident",
    "Inspection",
    "Invite",
    "MarketClosure",
    "MarketInspection",
    "Leave",
    "Meeting",
    "MeetingAttendee",
    "MeetingDecision",
    "Member",
    "Observation",
    "OutboxMessage",
    "KeptFile",
    "OutgoingFile",
    "PendingImport",
    "PlatformToken",
    "ProcessedEvent",
    "Purchase",
    "RecipientPace",
    "Referral",
    "ReferralStep",
    "ScreeningTarget",
    "ScreeningTargetChange",
    "ScreeningVisit",
    "SendLedger",
    "SendSlot",
    "StockBatch",
    "StockLevel",
    "StockMovement",
    "SupervisionEvent",
    "SupervisionItem",
    "SupervisionShare",
    "SupplyNeed",
    "SupplyStep",
]
