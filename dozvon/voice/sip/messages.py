"""What the SIP agent says in the installation's log, in Russian and English (an administrator
reads these; SIP's own reason phrases and Warning texts stay in English, as peers expect)."""

from dozvon.core.i18n import register

register("voice.sip.listening", "SIP agent listening on {address} (allowed peers: {peers})",
         "SIP-агент слушает {address} (разрешённые узлы: {peers})")
register("voice.sip.no_peers", "none", "нет")
register("voice.sip.refused", "SIP from {address} refused: not an allowed peer (answered 403 once, then dropped)",
         "SIP от {address} отклонён: узел не в списке разрешённых (один ответ 403, дальше — без ответа)")
register("voice.sip.malformed", "malformed SIP from {address}: {reason}",
         "неверное SIP-сообщение от {address}: {reason}")
register("voice.sip.oversized", "SIP datagram of {size} bytes from {address} dropped (the limit is {limit})",
         "SIP-датаграмма в {size} байт от {address} отброшена (предел — {limit})")
register("voice.sip.suppressed", "{count} more like it in the last {seconds} s",
         "ещё {count} таких же за последние {seconds} с")
register("voice.sip.no_ack", "call {call}: no ACK for our 200 OK in {seconds} s, hanging up",
         "звонок {call}: нет ACK на наш 200 OK за {seconds} с, кладём трубку")
register("voice.sip.ended", "call {call} ({direction} {caller}→{callee}) ended: {reason}",
         "звонок {call} ({direction} {caller}→{callee}) завершён: {reason}")
