"""Every action the audit log records, with the words a person reads for it.

`audit.entry` refuses a code that is not here, so the log never holds an action the page cannot name."""

from __future__ import annotations

from library.i18n import _l, gettext

ACTIONS = {
    "login.success": _l("登录成功"),
    "login.failure": _l("登录失败"),
    "login.throttled": _l("登录受限（失败次数过多）"),
    "password.change": _l("修改密码"),
    "password.set": _l("重设密码"),
    "token.create": _l("创建 API 令牌"),
    "token.revoke": _l("撤销 API 令牌"),
    "user.create": _l("新建用户"),
    "user.email": _l("修改邮箱"),
    "user.role": _l("修改角色"),
    "user.active": _l("启用或停用账号"),
    "school.create": _l("新建学校"),
    "studio.create": _l("新建工作室"),
    "studio.coordinators": _l("设置研训员"),
    "membership.set": _l("设置工作室成员"),
    "membership.remove": _l("移除工作室成员"),
    "subject.save": _l("保存学科"),
    "edition.save": _l("保存教材版本"),
    "resource.submit": _l("提交审核"),
    "resource.publish": _l("发布成果"),
    "resource.return": _l("退回成果"),
    "resource.withdraw": _l("撤回成果"),
    "resource.delete": _l("删除成果"),
    "resource.file_add": _l("添加文件"),
    "resource.file_replace": _l("替换文件"),
    "resource.file_remove": _l("删除文件"),
    "permission.denied": _l("拒绝访问"),
    "agreement.create": _l("新建帮扶协议"),
    "agreement.activate": _l("协议生效"),
    "agreement.end": _l("终止协议"),
    "loan.request": _l("申请借阅"),
    "loan.approve": _l("批准借阅"),
    "loan.decline": _l("拒绝借阅"),
    "loan.renew": _l("续借"),
    "loan.return": _l("归还"),
    "activity.create": _l("登记活动"),
    "activity.delete": _l("删除活动"),
    "indicator.save": _l("保存考核指标"),
    "job.retry": _l("重试任务"),
}

TARGETS = {
    "user": _l("用户"),
    "resource": _l("成果"),
    "studio": _l("工作室"),
    "school": _l("学校"),
    "subject": _l("学科"),
    "edition": _l("教材版本"),
    "agreement": _l("帮扶协议"),
    "loan": _l("借阅"),
    "activity": _l("活动"),
    "indicator": _l("考核指标"),
    "token": _l("API 令牌"),
    "job": _l("任务"),
    "path": _l("页面"),
}

DETAILS = {
    "title": _l("标题"),
    "comment": _l("意见"),
    "reason": _l("原因"),
    "method": _l("请求方式"),
    "username": _l("用户名"),
    "usernames": _l("用户"),
    "role": _l("角色"),
    "name": _l("名称"),
    "name_zh": _l("中文名"),
    "studio": _l("工作室"),
    "school": _l("学校"),
    "resource": _l("成果"),
    "status": _l("状态"),
    "due_on": _l("到期日"),
    "present": _l("有邮箱"),
    "active": _l("启用"),
    "kind": _l("类型"),
    "owner": _l("所有者"),
    "rule": _l("计分规则"),
    "points": _l("分值"),
    "level_points": _l("各级分值"),
    "cap": _l("上限"),
    "files": _l("文件"),
    "file": _l("文件"),
    "old": _l("原文件"),
    "new": _l("新文件"),
}


def is_known(action: str) -> bool:
    """Whether the audit log knows how to name this action."""
    return action in ACTIONS


def action_label(action: str) -> str:
    """The words for an action code; an unknown one (an entry from an older version) reads
    "其他操作", never as a bare code."""
    label = ACTIONS.get(action)
    return str(label) if label is not None else gettext("其他操作")
