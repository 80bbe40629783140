package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/rundir"
	"github.com/spf13/cobra"
)

func newPredictCmd(stdout, stderr io.Writer) *cobra.Command {
	var model, dataPath, out string
	cmd := &cobra.Command{
		Use:   "predict --model PARAMS.npy --data FILE [--out FILE]",
		Short: "apply a trained model to new data and write its predictions as CSV",
		Long: `Apply a model that gdgpu run trained (--problem linear, logistic, perceptron,
hinge, softmax or mlp with --out PARAMS.npy) to the rows of a CSV file or a 2-D
.npy matrix. The model card PARAMS.npy.json beside the parameters gives the
features, classes, standardisation and layout.

A CSV must hold the card's feature columns, found by name; other columns are
ignored. An .npy matrix must have the card's features as its columns, in the
card's order. The CSV's rows are standardised with the card's training
statistics, as in training. Data whose columns do not match the card is
refused, naming them.

The output has one CSV row per input row. A regression writes "prediction".
A classifier writes "class" (its name, or its label as the training file
held it), and for logistic, softmax and mlp the probability of each class,
"p_<class>"; the perceptron and the hinge loss write their "score" z instead.
Without --out the CSV goes to stdout. With --out it is written atomically,
never over an input. When the CSV holds the card's target column, the
accuracy (classifiers) or the mean squared error (regression) is printed:
on stderr without --out, on stdout with it.`,
		Example: `  gdgpu run --problem softmax --data iris.csv --target species --standardize --epochs 200 --lr 0.05 --device cpu --out iris.npy
  gdgpu predict --model iris.npy --data iris.csv --out predictions.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []string{"model", "data"} {
				if !cmd.Flags().Changed(f) {
					return usagef("--%s is required", f)
				}
			}
			card, w, err := gdgpu.ReadModel(model)
			if err != nil {
				return usagef("%v", err)
			}
			rows, err := card.ReadRows(dataPath)
			if err != nil {
				return usagef("%v", err)
			}
			if out != "" {
				if err := checkPaths([]rundir.Path{{What: "--model", Path: model}, {What: "--model's card", Path: model + ".json"}, {What: "--data", Path: dataPath}},
					[]rundir.Path{{What: "--out", Path: out}}); err != nil {
					return err
				}
				if err := checkOutput("--out", out); err != nil {
					return err
				}
			}
			var b bytes.Buffer
			summary, err := card.Predict(&b, w, rows)
			if err != nil {
				return failure(err)
			}
			if out == "" {
				if _, err := stdout.Write(b.Bytes()); err != nil {
					return failure(err)
				}
				if summary != "" {
					fmt.Fprintln(stderr, summary)
				}
				return nil
			}
			if err := writeAtomic(out, &b); err != nil {
				return failure(err)
			}
			fmt.Fprintf(stdout, "wrote %s: %d rows\n", out, rows.N)
			if summary != "" {
				fmt.Fprintln(stdout, summary)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "the trained parameters `PARAMS.npy` (gdgpu run --out), with PARAMS.npy.json beside them")
	cmd.Flags().StringVar(&dataPath, "data", "", "the rows to predict: a CSV with the card's feature columns, or a 2-D .npy `FILE`")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the predictions to `FILE` (CSV) instead of stdout")
	return cmd
}
