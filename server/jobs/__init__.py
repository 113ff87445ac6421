"""Jobs: slow work (tiling an uploaded panorama) done off the request path by a worker process.

``queue`` holds the job rows' life cycle — queued → running → done | failed — with the one atomic claim
(any number of workers on any machines sharing the database), progress reports that double as heartbeats,
the reaping of jobs whose worker died, and retry. ``panorama`` (validate → tile →
publish, the upload kept until the job is done) and ``model_check`` (an uploaded hall model checked
one-to-one, its report kept with the job, published on request when clean) are the kinds. ``worker`` runs jobs one at a time, at most one tiling job
per machine (a lock file in the instance folder). See docs/ARCHITECTURE.md.
"""
