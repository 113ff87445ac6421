"""``flask --app server worker [--once]``: the job worker (server/jobs) — runs queued jobs (panorama
uploads) one at a time, beside the web server, so no web request ever tiles."""

from __future__ import annotations

import logging
import signal

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option(
    "--once", is_flag=True, help="Run at most one waiting job, then exit. / 最多处理一个任务后退出。"
)
@with_appcontext
def worker_command(once: bool) -> None:
    """Run queued jobs (panorama tiling) until stopped. / 运行后台任务（全景图切片），直到停止。"""
    # Imported here: the jobs bring the imaging libraries, which other commands' start-up should not.
    from ..jobs import worker

    app = current_app._get_current_object()
    if once:
        job = worker.run_one(app)
        click.echo(f"任务 / job {job}" if job is not None else "没有等待的任务 / no job waiting")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    stopping = []

    def stop(signum, frame) -> None:  # finish the job in hand, then leave
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo("后台任务进程已启动 / worker started")
    worker.run_forever(app, poll_s=float(app.config["JOBS_POLL_SECONDS"]), stop=lambda: bool(stopping))
