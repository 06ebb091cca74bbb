"""A complaint's timeline told in the reporter's words: Bahasa Indonesia, or English."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.domain.deadlines import due_date, stage_name
from shared.domain.routing import Agency
from shared.projections.inbox import TimelineEntry


def describe(entry: TimelineEntry, lang: str, agencies: Mapping[str, Agency]) -> str:
    """One line a reporter understands; the raw event stays in `detail` for developers."""
    detail = entry.detail
    english = lang == "en"

    def agency(field: str = "agency_id") -> str:
        known = agencies.get(str(detail.get(field)))
        return known.name if known else str(detail.get(field))

    def stage() -> str:
        return stage_name(str(detail.get("stage")), lang)

    def due() -> str:
        return due_date(datetime.fromisoformat(str(detail.get("due_at"))), lang)

    match entry.event_type:
        case "pintu.complaint.filed":
            return "Report received" if english else "Laporan diterima"
        case "pintu.complaint.routed" if detail.get("rule_id") == "manual":
            if english:
                return f"Reassigned by the national admin to {agency()}" + _clocks(detail, lang)
            return f"Dialihkan oleh admin nasional ke {agency()}" + _clocks(detail, lang)
        case "pintu.complaint.routed":
            line = f"Forwarded to {agency()}" if english else f"Diteruskan ke {agency()}"
            copies = [str(a) for a in detail.get("copies") or []]
            if copies:
                names = ", ".join(agencies[a].name if a in agencies else a for a in copies)
                line += f" (copy to {names})" if english else f" (tembusan: {names})"
            return line + _clocks(detail, lang)
        case "pintu.complaint.declined":
            reason = detail.get("reason", "")
            if english:
                return f"{agency()} says this is not its authority ({reason}); passed on"
            return f"{agency()} menyatakan bukan wewenangnya ({reason}); diteruskan"
        case "pintu.complaint.deadline_scheduled":
            return (
                f"{stage().capitalize()} due by {due()}" if english else f"Batas {stage()}: {due()}"
            )
        case "pintu.complaint.deadline_warned":
            return (
                f"Reminder: {stage()} due by {due()}"
                if english
                else f"Pengingat: {stage()} {due()}"
            )
        case "pintu.complaint.deadline_breached":
            line = f"{stage().capitalize()} overdue" if english else f"Batas {stage()} terlewati"
            if detail.get("ombudsman_route"):
                line += (
                    "; you may report this to the Ombudsman RI"
                    if english
                    else "; Anda dapat melapor ke Ombudsman RI"
                )
            return line
        case "pintu.complaint.deadline_stopped":
            return (
                f"{stage().capitalize()}: clock stopped"
                if english
                else f"Tenggat {stage()} dihentikan"
            )
        case "pintu.complaint.escalated":
            return (
                f"Escalated to {agency('to_agency_id')}"
                if english
                else f"Dieskalasi ke {agency('to_agency_id')}"
            )
        case "pintu.complaint.verified":
            return (
                "Verified by the national admin" if english else "Diverifikasi oleh admin nasional"
            )
        case "pintu.complaint.acknowledged":
            return f"{agency()} is working on it" if english else f"{agency()} sedang memproses"
        case "pintu.complaint.followed_up":
            message = detail.get("message", "")
            return (
                f"Follow-up from {agency()}: {message}"
                if english
                else f"Tindak lanjut {agency()}: {message}"
            )
        case "pintu.complaint.information_requested":
            question = detail.get("question", "")
            return (
                f"{agency()} asks you: {question}"
                if english
                else f"{agency()} bertanya: {question}"
            )
        case "pintu.complaint.postponed":
            reason = detail.get("reason", "")
            return f"Postponed: {reason}" if english else f"Ditunda: {reason}"
        case "pintu.complaint.reporter_replied":
            return "You replied" if english else "Pelapor menanggapi"
        case "pintu.complaint.resolved":
            message = detail.get("message", "")
            return (
                f"Completed by {agency()}: {message}"
                if english
                else f"Selesai oleh {agency()}: {message}"
            )
        case "pintu.complaint.auto_closed":
            return (
                "Completed: no reply within the time given"
                if english
                else "Selesai: tidak ada tanggapan pelapor"
            )
        case "pintu.complaint.reopened":
            return (
                "Reopened at your request" if english else "Dibuka kembali atas permintaan pelapor"
            )
        case "pintu.complaint.rated":
            return (
                f"You rated the answer {detail.get('score')}/5"
                if english
                else f"Penilaian pelapor: {detail.get('score')}/5"
            )
        case "pintu.complaint.archived":
            reason = detail.get("reason", "")
            return f"Archived: {reason}" if english else f"Diarsipkan: {reason}"
    return entry.event_type


def _clocks(detail: Mapping[str, Any], lang: str) -> str:
    """The deadlines a routing starts (ComplaintRouted v5), as the end of its line."""
    due = [
        (stage_name(str(d.get("stage")), lang), due_date(datetime.fromisoformat(d["due_at"]), lang))
        for d in detail.get("deadlines") or []
    ]
    if not due:
        return ""
    if lang == "en":
        return "; " + ", ".join(f"{stage} due by {date}" for stage, date in due)
    return "; " + ", ".join(f"batas {stage}: {date}" for stage, date in due)
