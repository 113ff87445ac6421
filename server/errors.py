"""One error shape for the whole API, bilingual: ``{"error": {"status", "code", "message", "message_en"}}``.

Any :class:`~server.problems.HallError` raised while answering a request takes this shape, with its own
status. Pages (non-API paths) get the same facts as a small HTML page in Chinese with English below.
Nothing that goes wrong inside ever reaches the client as a stack trace.
"""

from __future__ import annotations

from html import escape

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from .problems import HallError

# Messages for the statuses that werkzeug raises by itself (routing, methods, sizes).
GENERIC = {
    400: ("bad_request", "请求无效", "Bad request"),
    404: ("not_found", "找不到该地址", "Not found"),
    405: ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
    406: ("not_acceptable", "无法提供所请求的格式", "Not acceptable"),
    409: ("conflict", "与当前数据冲突", "Conflict"),
    413: ("too_large", "提交的内容过大", "Request too large"),
    415: ("unsupported_media_type", "不支持该内容类型", "Unsupported media type"),
    416: ("range_not_satisfiable", "请求的字节范围超出文件", "Range not satisfiable"),
    422: ("unprocessable", "内容无法处理", "Unprocessable content"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试", "Too many requests"),
    500: ("internal_error", "服务器内部错误，请稍后再试", "Internal server error"),
}


class ApiError(HallError):
    """An error the API raises itself: a status, a stable code and a message in both languages."""

    def __init__(self, status: int, code: str, message: str, message_en: str, **details: object) -> None:
        super().__init__(code, message, message_en, status=status, details=details)


def not_found(what_zh: str, what_en: str, key: str) -> ApiError:
    """A 404 naming what was looked for and the key that found nothing."""
    return ApiError(404, "not_found", f"找不到{what_zh}：{key}", f"{what_en} not found: {key}", key=key)


def bad_parameter(name: str, problem_zh: str, problem_en: str) -> ApiError:
    """A 400 naming the query parameter at fault."""
    return ApiError(
        400,
        "bad_parameter",
        f"参数 {name} 无效：{problem_zh}",
        f"Parameter {name} is invalid: {problem_en}",
        parameter=name,
    )


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _respond(error: HallError) -> Response:
    if _wants_json():
        response = jsonify(error.body())
    else:
        page = (
            "<!doctype html><html lang=zh-CN><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{escape(error.message)}</title><link rel=icon href='data:,'>"
            f"<main><h1>{escape(error.message)}</h1><p lang=en>{escape(error.message_en)}</p>"
            "<p><a href='/'>返回首页 / Home</a></p></main></html>"
        )
        response = Response(page, mimetype="text/html")
    response.status_code = error.status
    return response


def _from_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    code, zh, en = GENERIC.get(status, (f"http_{status}", exc.name, exc.name))
    response = _respond(ApiError(status, code, zh, en))
    if status == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _from_unexpected(exc: Exception) -> Response:
    # Logged in full on the server; the client learns only that it failed.
    from flask import current_app

    current_app.logger.exception("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    code, zh, en = GENERIC[500]
    return _respond(ApiError(500, code, zh, en))


def register(app: Flask) -> None:
    """Route every error through the one shape: any HallError (the API's own, a model, route, panorama,
    registration, layout or demo data error), werkzeug's HTTP errors and, as a 500, anything else."""
    app.register_error_handler(HallError, _respond)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(Exception, _from_unexpected)
