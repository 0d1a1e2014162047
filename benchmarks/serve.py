"""python app.py with one more endpoint, /echo (it returns its input), for the benchmarks only:
the floor of Gradio's own overhead that /sample and the others are measured against. The shipped
app has no such endpoint. Run as `python -m benchmarks.serve` (benchmarks.common.start_app)."""
import gradio as gr

import app

with app.demo:  # a Blocks takes more components and events after it was built
    echo_in, echo_out = gr.Number(visible=False), gr.Number(visible=False)
    gr.Button(visible=False).click(lambda x: x, echo_in, echo_out, api_name="echo")

if __name__ == "__main__":
    app.main()
