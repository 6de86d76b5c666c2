"""The control plane (``/_control/...``, no auth, test-only): reset, state, clock, knobs, faults."""

from __future__ import annotations

from archive.zenodo.standin.handler import HandlerBase
from archive.zenodo.standin.replies import Reply
from archive.zenodo.standin.state import state_name


class ControlEndpoints(HandlerBase):
    """``/_control/{reset|state|clock|config|faults}``."""

    def _control(self, method: str) -> None:
        name = self._path[len("/_control/"):].strip("/")
        st = self.state
        if name == "reset" and method == "POST":
            with st.lock:
                st.reset()
            return self._send(204)
        if name == "state" and method == "GET":
            with st.lock:
                depositions = {}
                for k, d in st.model["depositions"].items():
                    view = {kk: vv for kk, vv in d.items() if kk != "indexed_at"}
                    view["state"] = state_name(d)
                    depositions[k] = view
                body = {"depositions": depositions, "concepts": st.model["concepts"],
                        "today": st.model.get("today"), "faults": st.faults, "fault_log": st.fault_log,
                        "config": st.config.public(), "requests": st.request_log[-500:]}
            return self._send(200, body)
        if name == "clock" and method == "POST":
            body = self._json_body()
            today = body.get("today") if isinstance(body, dict) else None
            with st.lock:
                st.model["today"] = today
                st.save()
            return self._send(200, {"today": st.today()})
        if name == "config" and method == "POST":
            body = self._json_body()
            if not isinstance(body, dict):
                raise Reply(400, {"status": 400, "message": "give a JSON object of knobs"})
            with st.lock:
                for key, value in body.items():
                    if key == "tokens" or not hasattr(st.config, key):
                        raise Reply(400, {"status": 400, "message": f"unknown knob {key}"})
                    setattr(st.config, key, value)
            return self._send(200, st.config.public())
        if name == "faults":
            if method == "GET":
                return self._send(200, {"rules": st.faults, "fired": st.fault_log})
            if method == "DELETE":
                with st.lock:
                    st.faults = []
                    st.save()
                return self._send(204)
            if method == "POST":
                body = self._json_body()
                rules = body.get("rules") if isinstance(body, dict) else None
                if not isinstance(rules, list) or not all(isinstance(r, dict) and isinstance(r.get("action"), dict)
                                                          for r in rules):
                    raise Reply(400, {"status": 400, "message": "give {\"rules\": [{method, path_regex, nth|every|"
                                       "times, action: {type, ...}}]}"})
                with st.lock:
                    if body.get("replace", True):
                        st.faults = []
                    st.faults.extend(rules)
                    st.save()
                return self._send(200, {"rules": st.faults})
        raise Reply(404, {"status": 404, "message": "unknown control endpoint"})
