"""Voice: keypad menus for residents who can only take a phone call.

- `state`, `flows`: the menus as pure functions `(state, digits) -> Step`; the state travels in the call's URLs.
- `prompts`: what each step says, per language, from `data/voice/<language>.toml`.
- `twiml`: a Step rendered as Twilio's TwiML.
- `calls`: one call's turns (answer, keys, end), recorded once in the inbox; shared by Twilio and the simulator.
- `outcomes`: what a call's outcome does through the kit (reports, tasks); `kit.voice` reads the register for it.
- `webhooks`, `twilio_voice`, `simulator`: the Twilio routes and the two voice gateways.
"""
