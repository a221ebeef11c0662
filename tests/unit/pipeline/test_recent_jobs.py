"""The recent-jobs ring: bounded, newest first, without audio, routes counted."""

from __future__ import annotations

from voxnode.contracts.job import JobResult, JobStatus
from voxnode.pipeline.recent_jobs import RecentJobs


def result(index: int) -> JobResult:
    return JobResult(
        job_id=f"j{index}", session_id="s", utterance_index=index, status=JobStatus.OK,
        src_lang="en", tgt_lang="zh", text_translated=f"zh {index}", audio="UklGRg==",
    )  # fmt: skip


def test_the_ring_keeps_the_newest_without_audio() -> None:
    recent = RecentJobs(3)
    for index in range(5):
        recent.record(result(index), at=float(index))
    assert [job.result.job_id for job in recent.latest()] == ["j4", "j3", "j2"]
    assert [job.result.job_id for job in recent.latest(2)] == ["j4", "j3"]
    assert all(job.result.audio is None for job in recent)
    assert len(recent) == 3 and recent.latest()[0].finished_at == 4.0


def test_the_kept_copy_does_not_follow_the_original() -> None:
    original = result(0)
    kept = RecentJobs(2).record(original, at=0.0)
    original.reason_codes.append("LATER")
    assert kept.result.reason_codes == [] and original.audio == "UklGRg=="


def test_a_job_is_cloud_when_any_stage_went_to_the_cloud() -> None:
    recent = RecentJobs(10)
    assert recent.record(result(0), at=0.0).route is None  # no routed stage
    assert recent.routes() == {}
    for index, routes in enumerate(
        [{"asr": "local", "nmt": "local"}, {"asr": "local", "nmt": "cloud"}, {"tts": "local"}],
        start=1,
    ):
        recent.record(result(index).model_copy(update={"routes": routes}), at=float(index))
    assert [job.route for job in recent.latest()] == ["local", "cloud", "local", None]
    assert recent.routes() == {"local": 2, "cloud": 1}
